import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  showErrorMessage
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  notebookIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import { ReadonlyJSONObject } from '@lumino/coreutils';

import { ThemedGrid } from '../grid/grid';
import { AllVoResultsContent } from './allvo';
import { DataAPI, IRowsEvent, ISearchRequest } from './api';
import { DataPanelModel } from './model';
import { insertCode, searchCode } from './notebook';
import { DataPanel } from './panel';
import { DataResultsContent, DataResultsWidget } from './results';
import { SearchRun } from './search';

/**
 * The command ids of the Data panel.
 */
export namespace DataCommandIDs {
  export const refresh = 'esap:data-refresh';
  export const openInNotebook = 'esap:data-open-in-notebook';
}

function searchLabel(request: ISearchRequest): string {
  if (request.target) {
    return request.target;
  }
  if (request.ra !== null && request.dec !== null) {
    return `${request.ra}, ${request.dec}`;
  }
  return request.text ?? request.collection ?? 'search';
}

/**
 * The Data panel: federated VO search in the left sidebar, results in the
 * main area, and the command that turns a search into notebook code.
 */
export const dataPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:data',
  description:
    'Search data services (TAP, SIA, SCS, SSA) from a side panel and see the results in a grid.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ITranslator,
    INotebookTracker,
    ICommandPalette,
    IThemeManager
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    notebooks: INotebookTracker | null,
    palette: ICommandPalette | null,
    themes: IThemeManager | null
  ): void => {
    const appTranslator = translator ?? nullTranslator;
    const trans = appTranslator.load('esap-hub');
    const api = new DataAPI(app.serviceManager.serverSettings);
    const model = new DataPanelModel(api);

    const show = (widget: DataResultsWidget) => {
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    };

    const openRun = (run: SearchRun) => {
      // the whole VO: the services ranked over one combined view, not a tab each
      const content = run.request.all_vo
        ? new AllVoResultsContent({ api, trans, run, model })
        : new DataResultsContent({ api, trans, run });
      const widget = new DataResultsWidget({
        content,
        label: run.request.all_vo
          ? trans.__('Data: all VO, %1', searchLabel(run.request))
          : trans.__('Data: %1', searchLabel(run.request)),
        trans
      });
      widget.toolbar.addItem(
        'open-in-notebook',
        new CommandToolbarButton({
          commands: app.commands,
          id: DataCommandIDs.openInNotebook,
          args: { request: run.request as unknown as ReadonlyJSONObject }
        })
      );
      // Add to basket: the command lives with the Basket panel (basket/plugin.ts)
      widget.toolbar.addItem(
        'add-to-basket',
        new CommandToolbarButton({
          commands: app.commands,
          id: 'esap:basket-add-selection'
        })
      );
      // Send to desktop tool: the command lives with SAMP (samp/plugin.ts)
      widget.toolbar.addItem(
        'send-to-desktop',
        new CommandToolbarButton({
          commands: app.commands,
          id: 'esap:samp-send-result'
        })
      );
      // View: the current row's image or cube in the viewer (view/plugin.ts)
      widget.toolbar.addItem(
        'view',
        new CommandToolbarButton({
          commands: app.commands,
          id: 'esap:view-row'
        })
      );
      // Cut out…: part of an image or cube row, by its archive's SODA (data/cutout.tsx)
      widget.toolbar.addItem(
        'cut-out',
        new CommandToolbarButton({
          commands: app.commands,
          id: 'esap:data-cutout-selection'
        })
      );
      // Bring to my lab: for data lake (Rucio) rows (data/lake.ts)
      widget.toolbar.addItem(
        'bring-to-lab',
        new CommandToolbarButton({
          commands: app.commands,
          id: 'esap:lake-bring-selection'
        })
      );
      show(widget);
    };

    const openResult = (rows: IRowsEvent, label: string) => {
      const content = new DataResultsContent({ api, trans });
      content.addResult({
        service: rows.service,
        resultId: rows.result_id,
        columns: rows.columns,
        total: rows.total,
        truncated: rows.truncated,
        firstRows: rows.rows
      });
      show(new DataResultsWidget({ content, label, trans }));
    };

    model.searchStarted.connect((_, run) => openRun(run));
    // the new theme's CSS is in place once the signal fires
    themes?.themeChanged.connect(() =>
      requestAnimationFrame(() => ThemedGrid.refreshThemes())
    );

    app.commands.addCommand(DataCommandIDs.refresh, {
      label: trans.__('Reload data services'),
      caption: trans.__('Reload the data services, jobs and history'),
      icon: refreshIcon,
      execute: async () => {
        await Promise.all([
          model.loadServices(),
          model.loadJobs(),
          model.loadHistory()
        ]);
      }
    });

    app.commands.addCommand(DataCommandIDs.openInNotebook, {
      label: trans.__('Open in notebook'),
      caption: trans.__(
        'Insert a code cell that re-runs this search with esap.data.search'
      ),
      icon: notebookIcon,
      isEnabled: args => Boolean(args.request) || model.run !== null,
      execute: async args => {
        const request =
          (args.request as unknown as ISearchRequest | undefined) ??
          model.run?.request;
        if (!request) {
          return;
        }
        try {
          await insertCode(app, notebooks, searchCode(request));
        } catch (reason) {
          void showErrorMessage(
            trans.__('Could not open the search in a notebook'),
            `${String(reason)}\n${trans.__('Open a notebook first, then try again.')}`
          );
        }
      }
    });

    const panel = new DataPanel({
      model,
      commands: app.commands,
      refreshCommand: DataCommandIDs.refresh,
      translator: appTranslator,
      actions: {
        openResult,
        openInNotebook: () =>
          void app.commands.execute(DataCommandIDs.openInNotebook)
      }
    });
    app.shell.add(panel, 'left', { rank: 210 });
    if (restorer) {
      restorer.add(panel, panel.id);
    }
    if (palette) {
      const category = trans.__('ESAP');
      palette.addItem({ command: DataCommandIDs.refresh, category });
      palette.addItem({ command: DataCommandIDs.openInNotebook, category });
    }
  }
};
