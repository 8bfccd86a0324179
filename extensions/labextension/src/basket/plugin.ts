import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { insertCode } from '../data/notebook';
import { DataResultsWidget, ServiceResultView } from '../data/results';
import { requestAPI } from '../request';
import { BasketAPI, ItemInput } from './api';
import { BasketPanel } from './panel';
import { IResultColumn, itemsFromRows } from './rows';

const BASKET_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" d="M5.8 9 9.6 3.3l1.7 1.1L8.2 9h7.6l-3.1-4.6 1.7-1.1L18.2 9H22l-2.4 11H4.4L2 9h3.8zm-1.3 2 1.6 7h11.8l1.6-7H4.5z"/></svg>';

export const basketIcon = new LabIcon({
  name: 'esap-hub:basket',
  svgstr: BASKET_SVG
});

/**
 * The command ids of the Basket panel.
 */
export namespace BasketCommandIDs {
  /** Add items: `{items: ItemInput[]}` or `{service, columns, rows, query}`. */
  export const add = 'esap:basket-add';
  /** Add the rows selected in the current Data results tab. */
  export const addSelection = 'esap:basket-add-selection';
  export const open = 'esap:basket-open';
  export const refresh = 'esap:basket-refresh';
}

/**
 * The Basket panel in the left area, and the `esap:basket-add` command the
 * Data and Software panels call to put things in the basket.
 */
export const basketPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:basket',
  description:
    'The basket: data records, services and software collected, opened in notebooks and downloaded.',
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
    const api = new BasketAPI(app.serviceManager.serverSettings);
    const panel = new BasketPanel({
      api,
      trans,
      icon: basketIcon,
      insertCode: code => insertCode(app, notebooks, code),
      // the command lives with SAMP (samp/plugin.ts)
      sendToDesktop: async ids =>
        String(await app.commands.execute('esap:samp-send-basket', { ids })),
      // the command lives with the viewer (view/plugin.ts)
      view: async item => {
        // the whole item (its row's fields too): what a cutout of it is asked with
        const whole = await requestAPI<ReadonlyPartialJSONObject>(
          `basket/items/${encodeURIComponent(item.id)}`,
          {},
          app.serviceManager.serverSettings
        ).catch(() => ({ ...item }) as unknown as ReadonlyPartialJSONObject);
        await app.commands.execute('esap:view-open', {
          access_url: item.access_url,
          format: item.format,
          size: item.size,
          title: item.title || item.label,
          service: item.service,
          item: whole
        });
      }
    });
    app.shell.add(panel, 'left', { rank: 220 });
    if (restorer) {
      restorer.add(panel, panel.id);
    }

    app.commands.addCommand(BasketCommandIDs.add, {
      label: trans.__('Add to basket'),
      caption: trans.__('Put the selected records in your ESAP basket'),
      icon: basketIcon,
      execute: async (args: ReadonlyPartialJSONObject) => {
        const items: ItemInput[] = Array.isArray(args.items)
          ? (args.items as unknown as ItemInput[])
          : itemsFromRows(
              String(args.service ?? ''),
              (args.columns ?? []) as unknown as IResultColumn[],
              (args.rows ?? []) as unknown as unknown[][],
              args.query ?? null
            );
        if (!items.length) {
          Notification.info(
            trans.__('Select rows to add to the basket first'),
            {
              autoClose: 3000
            }
          );
          return { ids: [] };
        }
        try {
          const added = await api.add(items);
          Notification.success(
            trans._n(
              'Added %1 item to the basket',
              'Added %1 items to the basket',
              items.length
            ),
            { autoClose: 3000 }
          );
          if (panel.isAttached) {
            void panel.refresh();
          }
          return added;
        } catch (reason) {
          Notification.error(String((reason as Error).message ?? reason));
          throw reason;
        }
      }
    });
    app.commands.addCommand(BasketCommandIDs.addSelection, {
      label: trans.__('Add to basket'),
      caption: trans.__('Put the selected rows in your ESAP basket'),
      icon: basketIcon,
      execute: async () => {
        const widget = app.shell.currentWidget;
        if (!(widget instanceof DataResultsWidget)) {
          return { ids: [] };
        }
        const view = widget.content.tabs.currentWidget;
        if (!(view instanceof ServiceResultView)) {
          return { ids: [] };
        }
        const rows = await view.selectedValues();
        return app.commands.execute(BasketCommandIDs.add, {
          service: view.node.dataset.esapService ?? '',
          columns: view.model.columns as unknown as ReadonlyPartialJSONObject[],
          rows: rows as unknown as ReadonlyPartialJSONObject[],
          query: (widget.content.run?.request ??
            null) as ReadonlyPartialJSONObject | null
        });
      }
    });
    app.commands.addCommand(BasketCommandIDs.open, {
      label: trans.__('Open the basket'),
      icon: basketIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(BasketCommandIDs.refresh, {
      label: trans.__('Refresh the basket'),
      execute: () => panel.refresh()
    });
    if (palette) {
      for (const command of [BasketCommandIDs.open, BasketCommandIDs.refresh]) {
        palette.addItem({ command, category: trans.__('ESAP') });
      }
    }
  }
};
