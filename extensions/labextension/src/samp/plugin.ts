import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';

import { DataResultsWidget, ServiceResultView } from '../data/results';
import { SampConnection, TableSource, hubUrlFrom } from './connection';

const SAMP_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" d="M3 4h13v9H3zm2 2v5h9V6zM8 15h3v2h2v2H6v-2h2zm9-6h4v11H9v-2h10v-7h-2z"/></svg>';

export const sampIcon = new LabIcon({
  name: 'esap-hub:samp',
  svgstr: SAMP_SVG
});

/**
 * The command ids of SAMP.
 */
export namespace SampCommandIDs {
  /** Send the current Data result tab (its selected rows, or all) to desktop tools. */
  export const sendResult = 'esap:samp-send-result';
  /** Send basket items: `{ids: string[]}`. */
  export const sendBasket = 'esap:samp-send-basket';
  /** Register with the SAMP hub, to receive tables into the basket. */
  export const connect = 'esap:samp-connect';
}

/**
 * SAMP: Send to desktop tool from the Data and Basket panels, and tables the
 * desktop tools send added to the basket.
 */
export const sampPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:samp',
  description:
    'Send tables to TOPCAT, Aladin or DS9 on your computer over the SAMP Web Profile, and receive theirs into the basket.',
  autoStart: true,
  optional: [ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    const settings = app.serviceManager.serverSettings;
    const connection = new SampConnection(settings, () =>
      hubUrlFrom(() => app.serviceManager.settings.fetch('esap-hub:samp'))
    );
    document.body.dataset.esapSamp = 'disconnected';
    connection.changed.connect((_, connected) => {
      document.body.dataset.esapSamp = connected ? 'connected' : 'disconnected';
      app.commands.notifyCommandChanged(SampCommandIDs.connect);
    });
    connection.received.connect((_, outcome) => {
      if (outcome instanceof Error) {
        Notification.error(
          trans.__(
            'A desktop tool sent a table that could not be kept: %1',
            outcome.message
          )
        );
        return;
      }
      Notification.success(
        trans.__(
          'Added "%1" (%2 rows) from a desktop tool to the basket',
          outcome.name,
          outcome.rows
        ),
        { autoClose: 5000 }
      );
      void app.commands.execute('esap:basket-refresh').catch(() => undefined);
    });

    const send = async (source: TableSource, name: string): Promise<string> => {
      try {
        const count = await connection.send(source, name);
        const text = trans._n(
          'Sent "%2" to %1 desktop tool',
          'Sent "%2" to %1 desktop tools',
          count,
          name
        );
        Notification.success(text, { autoClose: 4000 });
        return text;
      } catch (reason) {
        const text = String((reason as Error).message ?? reason);
        Notification.error(text);
        throw reason;
      }
    };

    app.commands.addCommand(SampCommandIDs.sendResult, {
      label: trans.__('Send to desktop tool'),
      caption: trans.__(
        'Send the selected rows (or the whole table) to TOPCAT, Aladin or DS9 on your computer'
      ),
      icon: sampIcon,
      execute: async () => {
        const widget = app.shell.currentWidget;
        if (!(widget instanceof DataResultsWidget)) {
          return '';
        }
        const view = widget.content.tabs.currentWidget;
        if (!(view instanceof ServiceResultView)) {
          return '';
        }
        const rows = view.grid.selectedRows();
        const service = view.node.dataset.esapService ?? 'result';
        const query = view.model.query;
        const source: TableSource = rows.length
          ? {
              result_id: view.model.resultId,
              rows,
              query: {
                sort: query.sort,
                order: query.order,
                filter: query.filter || null
              }
            }
          : { result_id: view.model.resultId };
        return send(source, `${widget.title.label} (${service})`);
      }
    });

    app.commands.addCommand(SampCommandIDs.sendBasket, {
      label: trans.__('Send to desktop tool'),
      caption: trans.__('Send the selected basket items as a table'),
      icon: sampIcon,
      execute: async args => {
        const ids = Array.isArray(args.ids) ? (args.ids as string[]) : [];
        if (!ids.length) {
          const text = trans.__('Select basket items to send first');
          Notification.info(text, { autoClose: 3000 });
          return text;
        }
        return send({ basket_ids: ids }, trans.__('ESAP basket'));
      }
    });

    app.commands.addCommand(SampCommandIDs.connect, {
      label: () =>
        connection.connected
          ? trans.__('Disconnect from desktop tools (SAMP)')
          : trans.__('Receive tables from desktop tools (SAMP)'),
      caption: trans.__(
        'Register with the SAMP hub on your computer; tables TOPCAT or Aladin send go to the basket'
      ),
      icon: sampIcon,
      execute: async () => {
        if (connection.connected) {
          await connection.disconnect();
          return;
        }
        try {
          await connection.connect();
          Notification.success(
            trans.__(
              'Connected to the SAMP hub: tables sent to ESAP Hub go to your basket'
            ),
            { autoClose: 4000 }
          );
        } catch (reason) {
          Notification.error(String((reason as Error).message ?? reason));
          throw reason;
        }
      }
    });
    if (palette) {
      palette.addItem({
        command: SampCommandIDs.connect,
        category: trans.__('ESAP')
      });
    }
  }
};
