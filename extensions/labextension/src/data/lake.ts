import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { downloadIcon } from '@jupyterlab/ui-components';

import { EsapAPIError, requestAPI } from '../request';
import { DataResultsWidget, ServiceResultView } from './results';

/** The command ids of the data lake tools. */
export namespace LakeCommandIDs {
  export const bring = 'esap:lake-bring-selection';
}

/** What `POST data/services/<name>/bring` answers. */
export interface IBringAnswer {
  action: 'rule' | 'download';
  did: string;
  rse?: string;
  rule_id?: string;
  state?: string;
  mount?: string | null;
  folder?: string;
  files?: { did: string; path: string; bytes: number }[];
}

/** Bring one DID of a data lake service to the lab (a rule, or a checked download). */
export async function bring(
  service: string,
  did: string,
  settings?: ServerConnection.ISettings
): Promise<IBringAnswer> {
  return requestAPI<IBringAnswer>(
    `data/services/${encodeURIComponent(service)}/bring`,
    { method: 'POST', body: JSON.stringify({ did }) },
    settings
  );
}

/** The current results tab of the Data panel, if it is one. */
function currentView(app: JupyterFrontEnd): ServiceResultView | null {
  const widget = app.shell.currentWidget;
  if (!(widget instanceof DataResultsWidget)) {
    return null;
  }
  const view = widget.content.tabs.currentWidget;
  return view instanceof ServiceResultView ? view : null;
}

/** The distinct DIDs of the selected rows (the lake's rows have a `did` column). */
async function selectedDids(view: ServiceResultView): Promise<string[]> {
  const column = view.model.columns.findIndex(c => c.name === 'did');
  if (column < 0) {
    return [];
  }
  const rows = await view.selectedValues();
  const dids = rows.map(row => String(row[column] ?? ''));
  return [...new Set(dids.filter(did => did !== ''))];
}

/**
 * "Bring to my lab" for the rows of a data lake (Rucio) result: each selected
 * DID becomes a replication rule to the RSE the lab mounts, or a download
 * into the home checked against the lake's checksums.
 */
export const lakePlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:data-lake',
  description:
    'Bring to my lab: data lake (Rucio) files by rule or checked download.',
  autoStart: true,
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator | null): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    const settings = app.serviceManager.serverSettings;
    app.commands.addCommand(LakeCommandIDs.bring, {
      label: trans.__('Bring to my lab'),
      caption: trans.__(
        'Bring the selected data lake files to your lab (a replication rule, or a checked download)'
      ),
      icon: downloadIcon,
      isVisible: () => {
        const view = currentView(app);
        return view === null || view.model.columns.some(c => c.name === 'did');
      },
      execute: async () => {
        const view = currentView(app);
        if (view === null) {
          return [];
        }
        const service = view.node.dataset.esapService ?? '';
        const dids = await selectedDids(view);
        if (dids.length === 0) {
          Notification.warning(
            trans.__(
              'Select the rows of a data lake result to bring to your lab.'
            ),
            { autoClose: 5000 }
          );
          return [];
        }
        const answers: IBringAnswer[] = [];
        for (const did of dids) {
          try {
            const answer = await bring(service, did, settings);
            answers.push(answer);
            Notification.success(
              answer.action === 'rule'
                ? trans.__(
                    '%1: rule %2 to %3 (%4)%5',
                    did,
                    answer.rule_id ?? '',
                    answer.rse ?? '',
                    answer.state ?? '',
                    answer.mount
                      ? trans.__(', files appear in %1', answer.mount)
                      : ''
                  )
                : trans.__(
                    '%1: %2 files in %3',
                    did,
                    String(answer.files?.length ?? 0),
                    answer.folder ?? ''
                  ),
              { autoClose: 8000 }
            );
          } catch (reason) {
            const error =
              reason instanceof EsapAPIError
                ? `${reason.message} — ${reason.fix}`
                : String(reason);
            Notification.error(`${did}: ${error}`, { autoClose: false });
          }
        }
        return answers;
      }
    });
  }
};
