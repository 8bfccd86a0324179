import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandToolbarButton, refreshIcon } from '@jupyterlab/ui-components';

import { basketPlugin } from './basket/plugin';
import { bulkPlugin } from './bulk/plugin';
import { cutoutPlugin } from './data/cutout';
import { lakePlugin } from './data/lake';
import { dataPlugin } from './data/plugin';
import { serviceTokenPlugin } from './data/tokens';
import { HubConfigModel } from './hubconfig';
import { EsapSidebar } from './sidebar';
import { publishPlugin } from './publish/plugin';
import { sampPlugin } from './samp/plugin';
import { sharedPlugin } from './shared/plugin';
import { softwarePlugin } from './software/plugin';
import { tutorialsPlugin } from './tutorials/plugin';
import { UsageCommandIDs, usagePlugin } from './usage/plugin';
import { viewPlugin } from './view/plugin';

/**
 * The command ids of the ESAP extension.
 */
export namespace CommandIDs {
  export const refreshSidebar = 'esap:refresh-sidebar';
}

/**
 * The ESAP sidebar: what the hub offers (data services, software
 * catalogues, archives), in the left area.
 */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:sidebar',
  description:
    'Lists the data services, software catalogues and archives the hub offers.',
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): void => {
    const appTranslator = translator ?? nullTranslator;
    const trans = appTranslator.load('esap-hub');
    const model = new HubConfigModel(app.serviceManager.serverSettings);

    app.commands.addCommand(CommandIDs.refreshSidebar, {
      label: trans.__('Refresh ESAP sidebar'),
      caption: trans.__('Reload what this hub offers'),
      icon: refreshIcon,
      execute: () => model.refresh()
    });

    const sidebar = new EsapSidebar({
      model,
      commands: app.commands,
      refreshCommand: CommandIDs.refreshSidebar,
      translator: appTranslator
    });
    // "My usage" beside the refresh button (its command is the usage plugin's)
    sidebar.toolbar.addItem(
      'usage',
      new CommandToolbarButton({
        commands: app.commands,
        id: UsageCommandIDs.open,
        label: ''
      })
    );
    app.shell.add(sidebar, 'left', { rank: 200 });

    if (palette) {
      palette.addItem({
        command: CommandIDs.refreshSidebar,
        category: trans.__('ESAP')
      });
    }
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
  }
};

export default [
  sidebarPlugin,
  dataPlugin,
  lakePlugin,
  cutoutPlugin,
  serviceTokenPlugin,
  bulkPlugin,
  tutorialsPlugin,
  basketPlugin,
  publishPlugin,
  softwarePlugin,
  sampPlugin,
  sharedPlugin,
  usagePlugin,
  viewPlugin
];
