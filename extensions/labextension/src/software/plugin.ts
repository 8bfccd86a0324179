import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { SoftwareAPI } from './api';
import { SoftwarePanel } from './panel';

/**
 * The command ids of the Software panel.
 */
export namespace SoftwareCommandIDs {
  export const show = 'esap:show-software';
}

/**
 * The Software panel in the left sidebar: software discovery across the
 * hub's catalogues, and "Open in my lab" (a kernel of the software's own).
 */
export const softwarePlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:software',
  description:
    'Searches the software catalogues; adds software to the basket, opens it in the lab or on BinderHub.',
  autoStart: true,
  optional: [ILayoutRestorer, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    const panel = new SoftwarePanel({
      api: new SoftwareAPI(app.serviceManager.serverSettings),
      trans,
      actions: {
        addToBasket: async item => {
          await app.commands.execute('esap:basket-add', {
            items: [item as ReadonlyPartialJSONObject]
          });
        },
        openNotebook: async (path, kernel) => {
          // the new kernelspec is unknown to the lab until its specs are read again
          await app.serviceManager.kernelspecs.refreshSpecs();
          await app.commands.execute(
            'docmanager:open',
            kernel ? { path, kernel: { name: kernel } } : { path }
          );
        }
      }
    });
    app.shell.add(panel, 'left', { rank: 310 });

    app.commands.addCommand(SoftwareCommandIDs.show, {
      label: trans.__('Show software'),
      execute: () => app.shell.activateById(panel.id)
    });
    if (palette) {
      palette.addItem({
        command: SoftwareCommandIDs.show,
        category: trans.__('ESAP')
      });
    }
    if (restorer) {
      restorer.add(panel, panel.id);
    }
  }
};
