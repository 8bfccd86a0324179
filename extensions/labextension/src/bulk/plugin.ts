import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { runIcon } from '@jupyterlab/ui-components';

import { EsapAPIError } from '../request';
import { RunsAPI } from './api';
import { RunsModel, RunsPanel } from './panel';

/**
 * The command ids of the Jobs view.
 */
export namespace BulkCommandIDs {
  export const runHeadless = 'esap:run-notebook-headless';
  export const showRuns = 'esap:show-notebook-runs';
}

/**
 * The Jobs view: headless notebook runs in the left sidebar, and a command
 * that runs the current notebook headless.
 */
export const bulkPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:bulk',
  description:
    'Lists headless notebook runs (esap run) with their state, executed notebook and log.',
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
    const model = new RunsModel(new RunsAPI(app.serviceManager.serverSettings));
    const panel = new RunsPanel({
      model,
      trans,
      open: path => void app.commands.execute('docmanager:open', { path })
    });
    app.shell.add(panel, 'left', { rank: 320 });
    void model.wake();

    app.commands.addCommand(BulkCommandIDs.showRuns, {
      label: trans.__('Show notebook runs'),
      execute: async () => {
        app.shell.activateById(panel.id);
        await model.wake();
      }
    });
    app.commands.addCommand(BulkCommandIDs.runHeadless, {
      label: trans.__('Run notebook headless'),
      caption: trans.__(
        'Run the saved notebook to the end as a job; it goes on when the lab is closed'
      ),
      icon: runIcon,
      isEnabled: () => !!notebooks?.currentWidget,
      execute: async () => {
        const current = notebooks?.currentWidget;
        if (!current) {
          return;
        }
        try {
          await current.context.save();
          await model.api.start(current.context.path);
        } catch (reason) {
          const error = reason as EsapAPIError;
          await showErrorMessage(
            trans.__('Could not start the run'),
            `${error.message} ${error.fix ?? ''}`
          );
          return;
        }
        app.shell.activateById(panel.id);
        await model.wake();
      }
    });
    if (palette) {
      for (const command of [
        BulkCommandIDs.runHeadless,
        BulkCommandIDs.showRuns
      ]) {
        palette.addItem({ command, category: trans.__('ESAP') });
      }
    }
    if (restorer) {
      restorer.add(panel, panel.id);
    }
  }
};
