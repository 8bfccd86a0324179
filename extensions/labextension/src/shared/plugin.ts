import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  ICommandPalette,
  Notification,
  showErrorMessage
} from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { shareIcon } from '@jupyterlab/ui-components';

import { insertCode } from '../data/notebook';
import { EsapAPIError } from '../request';
import { projectBasketCode, SharedAPI } from './api';
import { askShare } from './dialog';
import { SharedModel, SharedPanel } from './panel';

/**
 * The command ids of sharing.
 */
export namespace SharedCommandIDs {
  /** Share this running lab with a user or a group (the Share dialog). */
  export const share = 'esap:share-lab';
  export const open = 'esap:open-shared';
}

/** The longest share when the hub does not say (a week). */
const DEFAULT_MAX = 7 * 86400;

/**
 * Sharing: the Shared view in the left area (this lab's shares and links,
 * labs shared with the user, the user's projects and their baskets), and
 * "Share this lab…" in the command palette.
 */
export const sharedPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:shared',
  description:
    'Share the running lab (read-only or full, for a time), see what is shared, open project baskets.',
  autoStart: true,
  optional: [ILayoutRestorer, ITranslator, INotebookTracker, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    notebooks: INotebookTracker | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    const model = new SharedModel(
      new SharedAPI(app.serviceManager.serverSettings)
    );
    const act = async (work: () => Promise<unknown>, done?: string) => {
      try {
        await work();
        if (done) {
          Notification.success(done, { autoClose: 3000 });
        }
      } catch (reason) {
        model.fail(reason);
      }
      await model.refresh();
    };

    const panel = new SharedPanel({
      model,
      trans,
      icon: shareIcon,
      actions: {
        share: () => void app.commands.execute(SharedCommandIDs.share),
        revoke: share => void act(() => model.api.revoke(share)),
        withdraw: link => void act(() => model.api.withdrawLink(link)),
        openInNotebook: project => {
          const code = projectBasketCode(project.name);
          if (code) {
            void insertCode(app, notebooks, code);
          }
        },
        copyToMine: project =>
          void act(
            () => model.api.copyToMine(project.name),
            trans.__('Copied the basket of %1 into yours', project.title)
          ),
        publish: project =>
          void act(
            () => model.api.publish(project.name),
            trans.__('Published your basket to %1', project.title)
          )
      }
    });
    app.shell.add(panel, 'left', { rank: 230 });
    if (restorer) {
      restorer.add(panel, panel.id);
    }

    app.commands.addCommand(SharedCommandIDs.share, {
      label: trans.__('Share this lab…'),
      caption: trans.__(
        'Share your running lab with a user or a group, read-only or full, for a time'
      ),
      icon: shareIcon,
      execute: async () => {
        if (!model.shares) {
          await model.refresh();
        }
        if (model.shares && !model.shares.enabled) {
          await showErrorMessage(
            trans.__('Sharing is off'),
            trans.__(
              'This hub does not let users share their labs; its admin turns it on with sharing.enabled in esap.yaml.'
            )
          );
          return;
        }
        const asked = await askShare(
          trans,
          model.shares?.max_seconds ?? DEFAULT_MAX
        );
        if (!asked) {
          return;
        }
        try {
          if (asked.mode === 'link') {
            const link = await model.api.makeLink(
              asked.access,
              asked.expiresIn
            );
            const url = link.accept_url
              ? new URL(
                  URLExt.join(
                    PageConfig.getOption('hubHost') || '',
                    link.accept_url
                  ),
                  window.location.href
                ).href
              : '';
            Clipboard.copyToSystem(url);
            Notification.success(
              trans.__(
                'Link copied: %1 (whoever accepts it gets this lab until it ends)',
                url
              ),
              { autoClose: false }
            );
          } else {
            if (!asked.name) {
              throw new EsapAPIError({
                code: 'bad_field',
                message: trans.__('No name given.'),
                fix: trans.__(
                  'Write the name of a user or a group of this hub.'
                ),
                field: 'name'
              });
            }
            await model.api.share(
              asked.kind,
              asked.name,
              asked.access,
              asked.expiresIn
            );
          }
        } catch (reason) {
          const error = EsapAPIError.from(reason);
          await showErrorMessage(
            trans.__('Could not share this lab'),
            `${error.message} ${error.fix}`
          );
        }
        app.shell.activateById(panel.id);
        await model.refresh();
      }
    });
    app.commands.addCommand(SharedCommandIDs.open, {
      label: trans.__('Show what is shared'),
      icon: shareIcon,
      execute: async () => {
        app.shell.activateById(panel.id);
        await model.refresh();
      }
    });
    if (palette) {
      const category = trans.__('ESAP');
      palette.addItem({ command: SharedCommandIDs.share, category });
      palette.addItem({ command: SharedCommandIDs.open, category });
    }
  }
};
