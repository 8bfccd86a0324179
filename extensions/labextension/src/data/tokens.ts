import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  Notification
} from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { EsapAPIError, requestAPI } from '../request';

/**
 * The command ids of data service logins.
 */
export namespace TokenCommandIDs {
  /** Store (or forget) the user's own token for a data service: `{service?: string}`. */
  export const store = 'esap:data-service-token';
}

interface IServiceEntry {
  name: string;
  title: string;
  accepts_token?: boolean;
}

interface ITokenState {
  service: string;
  accepts_token: boolean;
  has_token: boolean;
}

/**
 * The user's own login for data services that take one (Zooniverse, for
 * private projects): asked in a password field, sent once to the server,
 * which keeps it owner-only and never sends it back.
 */
export const serviceTokenPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:data-service-token',
  description:
    'Store your own token for a data service that takes one (e.g. Zooniverse private projects).',
  autoStart: true,
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');

    async function pickService(
      given: string | undefined
    ): Promise<string | null> {
      if (given) {
        return given;
      }
      const listing = await requestAPI<{ services: IServiceEntry[] }>(
        'data/services'
      );
      const offered = listing.services.filter(s => s.accepts_token);
      if (offered.length === 0) {
        Notification.info(
          trans.__('No data service of this hub takes a personal token.'),
          { autoClose: 5000 }
        );
        return null;
      }
      if (offered.length === 1) {
        return offered[0].name;
      }
      const picked = await InputDialog.getItem({
        title: trans.__('Data service'),
        items: offered.map(s => s.name),
        current: 0
      });
      return picked.button.accept ? picked.value : null;
    }

    app.commands.addCommand(TokenCommandIDs.store, {
      label: trans.__('Store my token for a data service…'),
      caption: trans.__(
        'Your own login (e.g. a Zooniverse token for private projects), kept owner-only in ~/.esap'
      ),
      execute: async args => {
        try {
          const service = await pickService(
            args['service'] as string | undefined
          );
          if (!service) {
            return;
          }
          const path = `data/services/${encodeURIComponent(service)}/token`;
          const state = await requestAPI<ITokenState>(path);
          const answer = await InputDialog.getPassword({
            title: trans.__('Token for %1', service),
            label: state.has_token
              ? trans.__(
                  'A token is stored. Paste a new one, or leave empty to forget it.'
                )
              : trans.__('Paste your personal token (it is never shown again).')
          });
          if (!answer.button.accept) {
            return;
          }
          const token = (answer.value ?? '').trim();
          if (token === '') {
            if (state.has_token) {
              await requestAPI<void>(path, { method: 'DELETE' });
              Notification.success(
                trans.__('Forgot the token for %1.', service),
                {
                  autoClose: 4000
                }
              );
            }
            return;
          }
          await requestAPI<void>(path, {
            method: 'PUT',
            body: JSON.stringify({ token })
          });
          Notification.success(trans.__('Stored the token for %1.', service), {
            autoClose: 4000
          });
        } catch (reason) {
          const message =
            reason instanceof EsapAPIError
              ? `${reason.message} — ${reason.fix}`
              : String(reason);
          Notification.error(message, { autoClose: false });
        }
      }
    });

    if (palette) {
      palette.addItem({
        command: TokenCommandIDs.store,
        category: trans.__('ESAP')
      });
    }
  }
};
