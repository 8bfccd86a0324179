import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import React from 'react';

import { DataPanelModel } from '../model';
import { rowCount } from '../results';
import { ErrorBox, Section } from './section';

function describeRequest(request: IRowsLike, trans: TranslationBundle): string {
  const parts: string[] = [];
  if (request.target) {
    parts.push(request.target);
  } else if (request.ra !== null && request.ra !== undefined) {
    parts.push(`${request.ra}, ${request.dec}`);
  }
  if (
    request.radius !== null &&
    request.radius !== undefined &&
    parts.length > 0
  ) {
    parts.push(`r=${request.radius}°`);
  }
  if (request.collection) {
    parts.push(request.collection);
  }
  if (request.text) {
    parts.push(`“${request.text}”`);
  }
  return parts.length > 0 ? parts.join(' · ') : trans.__('everything');
}

type IRowsLike = {
  target?: string | null;
  ra?: number | null;
  dec?: number | null;
  radius?: number | null;
  collection?: string | null;
  text?: string | null;
};

/**
 * Past searches; a click fills the search form again.
 */
export class HistorySection extends Section {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    private readonly _showSearch: () => void
  ) {
    super(model, trans, 'history', trans.__('History'));
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.model.history === null) {
      void this.model.loadHistory();
    }
  }

  protected render(): JSX.Element {
    const { model, trans } = this;
    const history = model.history;
    return (
      <div className="esap-History">
        <ErrorBox error={model.historyError} />
        {history === null && !model.historyError && (
          <p className="esap-Muted">{trans.__('Loading history…')}</p>
        )}
        {history !== null && history.length === 0 && (
          <p className="esap-Muted">
            {trans.__('Your searches will be listed here.')}
          </p>
        )}
        {history !== null && history.length > 0 && (
          <ul className="esap-List">
            {history.map(entry => {
              const summary = Object.entries(entry.summary);
              const rows = summary.reduce(
                (n, [, v]) => n + (typeof v === 'number' ? v : 0),
                0
              );
              const failed = summary.filter(([, v]) => v === 'error').length;
              return (
                <li key={entry.id} data-esap-history={entry.id}>
                  <button
                    type="button"
                    className="esap-HistoryItem"
                    title={trans.__('Fill the search form with this query')}
                    onClick={() => {
                      model.fill(entry.request);
                      this._showSearch();
                    }}
                  >
                    <span className="esap-HistoryItem-what">
                      {describeRequest(entry.request, trans)}
                    </span>
                    <span className="esap-Muted">
                      {new Date(entry.created).toLocaleString()} ·{' '}
                      {rowCount(rows, trans)}
                      {failed > 0
                        ? ` · ${trans._n('%1 error', '%1 errors', failed)}`
                        : ''}
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </div>
    );
  }
}
