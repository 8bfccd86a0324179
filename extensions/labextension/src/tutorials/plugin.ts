import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  Notification,
  showErrorMessage
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { notebookIcon } from '@jupyterlab/ui-components';

import { EsapAPIError } from '../request';
import { copyTutorials } from './api';

/**
 * The command ids of the tutorials entry.
 */
export namespace TutorialsCommandIDs {
  export const open = 'esap:open-tutorials';
}

/**
 * ESAP tutorials: a launcher card and a Help-menu item (from the plugin's
 * settings schema) that copy the shipped tutorials into the home, keeping
 * any copy the user already has, and open the first one.
 */
export const tutorialsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:tutorials',
  description:
    'Copies the ESAP tutorials into the home (never over your own copies) and opens the first.',
  autoStart: true,
  optional: [ILauncher, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    const category = trans.__('ESAP');

    app.commands.addCommand(TutorialsCommandIDs.open, {
      label: args =>
        args.isLauncher ? trans.__('Tutorials') : trans.__('ESAP tutorials'),
      caption: trans.__(
        'Copy the ESAP tutorials into esap-tutorials/ in your home and open the first'
      ),
      icon: args => (args.isPalette ? undefined : notebookIcon),
      execute: async () => {
        try {
          const result = await copyTutorials(app.serviceManager.serverSettings);
          const message =
            result.copied.length > 0
              ? trans._n(
                  'Copied %1 tutorial file into %2/.',
                  'Copied %1 tutorial files into %2/.',
                  result.copied.length,
                  result.folder
                )
              : trans.__(
                  'Your tutorials in %1/ are up to date; your copies were kept as they are.',
                  result.folder
                );
          Notification.info(message, { autoClose: 5000 });
          if (result.first) {
            await app.commands.execute('docmanager:open', {
              path: result.first
            });
          }
        } catch (reason) {
          const error =
            reason instanceof EsapAPIError
              ? `${reason.message}\n${reason.fix}`
              : String(reason);
          await showErrorMessage(trans.__('Tutorials not copied'), error);
        }
      }
    });

    if (launcher) {
      launcher.add({
        command: TutorialsCommandIDs.open,
        category,
        rank: 0
      });
    }
    if (palette) {
      palette.addItem({ command: TutorialsCommandIDs.open, category });
    }
  }
};
