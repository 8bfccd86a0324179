import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import React from 'react';

import { isActive } from '../../jobs';
import { EsapAPIError } from '../../request';
import { ITable } from '../api';
import {
  asRows,
  CrossmatchAPI,
  CrossmatchJob,
  CrossmatchMethod,
  CrossmatchRunner,
  CrossmatchSource,
  crossmatchRequest,
  EMPTY_CROSSMATCH,
  ICrossmatchForm
} from '../crossmatch';
import { DataPanelModel } from '../model';
import { ErrorBox, IDataPanelActions, Section } from './section';

/** "1.2 MB" or "340 kB". */
function size(bytes: number): string {
  return bytes >= 100000
    ? `${(bytes / 1e6).toFixed(1)} MB`
    : `${Math.round(bytes / 1e3)} kB`;
}

/**
 * Where a running (or finished) cross-match is: the upload's bytes or the
 * cone queries as a bar, what it does now, and Cancel while it runs.
 */
function Status(props: {
  job: CrossmatchJob;
  trans: TranslationBundle;
  onCancel: () => void;
}): JSX.Element {
  const { job, trans, onCancel } = props;
  const { done, total, message } = job.progress;
  const upload = job.result?.method === 'upload';
  const result = job.result;
  return (
    <div
      className="esap-Crossmatch-status"
      data-esap-state={job.state}
      data-esap-job={job.id}
      role="status"
    >
      {isActive(job) && total !== null && total > 0 && (
        <progress
          className="esap-Crossmatch-progress"
          value={done}
          max={total}
          aria-label={
            upload ? trans.__('Bytes uploaded') : trans.__('Cone queries done')
          }
        />
      )}
      <p className="esap-Crossmatch-message">
        {job.state === 'done' && result?.matches !== undefined
          ? trans.__(
              '%1 matches for %2 of %3 rows (%4)',
              result.matches,
              result.matched_rows ?? 0,
              result.rows ?? 0,
              upload
                ? trans.__('uploaded %1', size(result.uploaded ?? 0))
                : trans.__('cone queries, matched here')
            )
          : job.state === 'cancelled'
            ? trans.__('Cancelled.')
            : message || trans.__('Starting…')}
      </p>
      {result?.truncated && (
        <p className="esap-Muted">
          {trans.__(
            'The answer stops at the service’s limit: some matches may be missing.'
          )}
        </p>
      )}
      {isActive(job) && (
        <Button minimal small className="esap-LinkButton" onClick={onCancel}>
          {trans.__('Cancel')}
        </Button>
      )}
    </div>
  );
}

function CrossmatchView(props: {
  model: DataPanelModel;
  runner: CrossmatchRunner;
  trans: TranslationBundle;
  actions: IDataPanelActions;
}): JSX.Element {
  const { model, runner, trans, actions } = props;
  const [form, setForm] = React.useState<ICrossmatchForm>(EMPTY_CROSSMATCH);
  const [tables, setTables] = React.useState<ITable[]>([]);
  const [basketIds, setBasketIds] = React.useState<string[] | null>(null);
  const [problem, setProblem] = React.useState<EsapAPIError | null>(null);
  const taps = (model.services ?? []).filter(
    s => s.type === 'tap' && s.capabilities.includes('adql')
  );
  const service = taps.find(s => s.name === form.service) ?? taps[0] ?? null;
  const listed = service?.capabilities.includes('tables') ? service.name : null;
  const results = model.seenResults;
  const resultId =
    results.find(r => r.resultId === form.resultId)?.resultId ??
    results[0]?.resultId ??
    '';
  const api = model.api;

  React.useEffect(() => {
    setTables([]);
    if (listed === null) {
      return;
    }
    let live = true;
    api.tables(listed).then(
      found => live && setTables(found),
      () => undefined // the catalogue is typed then; the server names a wrong one
    );
    return () => {
      live = false;
    };
  }, [api, listed]);

  React.useEffect(() => {
    if (form.source !== 'basket') {
      return;
    }
    let live = true;
    runner.api.basketDataIds().then(
      ids => live && setBasketIds(ids),
      reason => live && setProblem(EsapAPIError.from(reason))
    );
    return () => {
      live = false;
    };
  }, [runner, form.source]);

  const set = (values: Partial<ICrossmatchForm>) => {
    setForm({ ...form, ...values });
    setProblem(null);
  };

  const start = async () => {
    const chosen = { ...form, service: service?.name ?? '', resultId };
    const { request, problem: wrong } = crossmatchRequest(chosen, basketIds);
    if (!request) {
      setProblem(
        new EsapAPIError({ code: 'bad_field', message: wrong ?? '', fix: '' })
      );
      return;
    }
    setProblem(null);
    const ended = await runner.run(request);
    const found = ended?.result?.result_id;
    if (!ended || !found) {
      return;
    }
    const label = trans.__('Cross-match: %1', request.catalogue);
    model.rememberResult({
      resultId: found,
      label,
      total: ended.result?.matches ?? 0
    });
    try {
      const page = await api.page(found, { offset: 0, limit: 200 });
      actions.openResult(asRows(page, Boolean(ended.result?.truncated)), label);
    } catch (reason) {
      setProblem(EsapAPIError.from(reason, 'Choose it under “A result”.'));
    }
  };

  if (!service) {
    return (
      <p className="esap-Muted">
        {trans.__('None of your services is a TAP service to match against.')}
      </p>
    );
  }
  const sources: [CrossmatchSource, string][] = [
    ['result', trans.__('A result')],
    ['basket', trans.__('Basket')],
    ['file', trans.__('A file')]
  ];
  return (
    <div className="esap-Crossmatch">
      <span className="esap-Field-label">{trans.__('Your table')}</span>
      <div
        className="esap-Segmented"
        role="radiogroup"
        aria-label={trans.__('Your table')}
      >
        {sources.map(([source, label]) => (
          <button
            key={source}
            type="button"
            role="radio"
            aria-checked={form.source === source}
            className={
              form.source === source
                ? 'esap-Segmented-item esap-mod-selected'
                : 'esap-Segmented-item'
            }
            data-esap-xm-source={source}
            onClick={() => set({ source })}
          >
            {label}
          </button>
        ))}
      </div>
      {form.source === 'result' &&
        (results.length === 0 ? (
          <p className="esap-Muted">
            {trans.__(
              'Search first: the results of this session are listed here.'
            )}
          </p>
        ) : (
          <HTMLSelect
            id="esap-xm-result"
            aria-label={trans.__('Result')}
            value={resultId}
            onChange={event => set({ resultId: event.currentTarget.value })}
            options={results.map(r => ({
              value: r.resultId,
              label: `${r.label} (${r.total.toLocaleString()})`
            }))}
          />
        ))}
      {form.source === 'basket' && (
        <p className="esap-Muted" data-esap-xm-basket={basketIds?.length ?? ''}>
          {basketIds === null
            ? trans.__('Reading the basket…')
            : trans._n(
                'The %1 data item of your basket.',
                'The %1 data items of your basket.',
                basketIds.length
              )}
        </p>
      )}
      {form.source === 'file' && (
        <InputGroup
          id="esap-xm-path"
          aria-label={trans.__('File in your home')}
          value={form.path}
          placeholder={trans.__('tables/mine.vot (VOTable, FITS, ECSV, CSV)')}
          onChange={event => set({ path: event.currentTarget.value })}
        />
      )}
      <div className="esap-Row">
        <div className="esap-Field">
          <label className="esap-Field-label" htmlFor="esap-xm-ra-column">
            {trans.__('RA column')}
          </label>
          <InputGroup
            id="esap-xm-ra-column"
            value={form.raColumn}
            placeholder={trans.__('found by UCD or name')}
            onChange={event => set({ raColumn: event.currentTarget.value })}
          />
        </div>
        <div className="esap-Field">
          <label className="esap-Field-label" htmlFor="esap-xm-dec-column">
            {trans.__('Dec column')}
          </label>
          <InputGroup
            id="esap-xm-dec-column"
            value={form.decColumn}
            placeholder={trans.__('found by UCD or name')}
            onChange={event => set({ decColumn: event.currentTarget.value })}
          />
        </div>
      </div>
      <div className="esap-Field">
        <label className="esap-Field-label" htmlFor="esap-xm-service">
          {trans.__('TAP service')}
        </label>
        <HTMLSelect
          id="esap-xm-service"
          value={service.name}
          onChange={event => set({ service: event.currentTarget.value })}
          options={taps.map(s => ({ value: s.name, label: s.title ?? s.name }))}
        />
      </div>
      <div className="esap-Field">
        <label className="esap-Field-label" htmlFor="esap-xm-catalogue">
          {trans.__('Catalogue')}
        </label>
        <InputGroup
          id="esap-xm-catalogue"
          list="esap-xm-tables"
          value={form.catalogue}
          placeholder={trans.__('a table of the service, schema.table')}
          onChange={event => set({ catalogue: event.currentTarget.value })}
        />
        <datalist id="esap-xm-tables">
          {tables.map(table => (
            <option key={table.name} value={table.name}>
              {table.description}
            </option>
          ))}
        </datalist>
      </div>
      <div className="esap-Row">
        <div className="esap-Field">
          <label className="esap-Field-label" htmlFor="esap-xm-radius">
            {trans.__('Radius (arcsec)')}
          </label>
          <InputGroup
            id="esap-xm-radius"
            value={form.radius}
            inputMode="decimal"
            onChange={event => set({ radius: event.currentTarget.value })}
          />
        </div>
        <div className="esap-Field">
          <label className="esap-Field-label" htmlFor="esap-xm-method">
            {trans.__('Method')}
          </label>
          <HTMLSelect
            id="esap-xm-method"
            value={form.method}
            title={trans.__(
              'Upload: the service matches your positions with its catalogue. Local: cone queries of the catalogue, matched by your server. Auto: upload where the service takes it.'
            )}
            onChange={event =>
              set({ method: event.currentTarget.value as CrossmatchMethod })
            }
            options={[
              { value: 'auto', label: trans.__('Auto') },
              { value: 'upload', label: trans.__('TAP upload') },
              { value: 'local', label: trans.__('Local (cone + match)') }
            ]}
          />
        </div>
      </div>
      <div className="esap-Actions">
        <Button
          className="jp-mod-styled jp-mod-accept esap-CrossmatchButton"
          disabled={runner.running}
          onClick={() => void start()}
        >
          {runner.running ? trans.__('Matching…') : trans.__('Cross-match')}
        </Button>
      </div>
      {runner.job && (
        <Status
          job={runner.job}
          trans={trans}
          onCancel={() => void runner.cancel()}
        />
      )}
      <ErrorBox error={problem ?? runner.error} />
    </div>
  );
}

/**
 * Cross-match a table of the user's (a result of this session, the
 * basket's data items, a file in the home) with a catalogue of a TAP
 * service: a job whose progress shows here and whose matches open in the
 * same results grid as a search's.
 */
export class CrossmatchSection extends Section {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    private readonly _actions: IDataPanelActions
  ) {
    super(model, trans, 'crossmatch', trans.__('Cross-match'));
    this._runner = new CrossmatchRunner(
      new CrossmatchAPI(model.api.serverSettings)
    );
    this._runner.changed.connect(() => this.update());
  }

  dispose(): void {
    this._runner.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <CrossmatchView
        model={this.model}
        runner={this._runner}
        trans={this.trans}
        actions={this._actions}
      />
    );
  }

  private readonly _runner: CrossmatchRunner;
}
