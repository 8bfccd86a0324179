import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import { BoxPanel } from '@lumino/widgets';
import React from 'react';

import { EsapAPIError } from '../request';
import { DataAPI, IVoService, IVoServiceSummary } from './api';
import { DataPanelModel, IAllVoChoice, serviceNameFor } from './model';
import {
  DataResultsContent,
  FittedReactWidget,
  ServiceResultView,
  rowCount
} from './results';
import { SearchRun } from './search';

/** The service types an all-VO search asks, as the form names them. */
const KINDS: [IAllVoChoice['types'][number], string][] = [
  ['tap', 'ObsCore TAP'],
  ['sia2', 'SIAv2'],
  ['scs', 'Cone search']
];

const WAVEBANDS = [
  '',
  'radio',
  'millimeter',
  'infrared',
  'optical',
  'uv',
  'euv',
  'x-ray',
  'gamma-ray'
];

/**
 * The form's "whole VO" choice: a switch, and when on the service types,
 * keywords and waveband the registry is asked for (class `esap-AllVo`).
 */
export function AllVoChoice(props: {
  model: DataPanelModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const choice = model.allVo;
  return (
    <div className="esap-AllVo" data-esap-all-vo={choice.on ? 'on' : 'off'}>
      <label className="esap-AllVo-switch">
        <input
          type="checkbox"
          checked={choice.on}
          onChange={event =>
            model.setAllVo({ on: event.currentTarget.checked })
          }
        />
        {trans.__('Search the whole VO (every service the registry lists)')}
      </label>
      {choice.on && (
        <div className="esap-AllVo-options">
          <div className="esap-Row" role="group" aria-label={trans.__('Types')}>
            {KINDS.map(([kind, label]) => (
              <label key={kind} className="esap-AllVo-kind">
                <input
                  type="checkbox"
                  data-esap-vo-kind={kind}
                  checked={choice.types.includes(kind)}
                  onChange={event =>
                    model.setAllVo({
                      types: event.currentTarget.checked
                        ? [...choice.types, kind]
                        : choice.types.filter(k => k !== kind)
                    })
                  }
                />
                {label}
              </label>
            ))}
          </div>
          <div className="esap-Row">
            <input
              className="jp-mod-styled esap-AllVo-keywords"
              type="search"
              value={choice.keywords}
              placeholder={trans.__('Registry keywords (optional)')}
              aria-label={trans.__('Registry keywords')}
              onChange={event =>
                model.setAllVo({ keywords: event.currentTarget.value })
              }
            />
            <HTMLSelect
              aria-label={trans.__('Waveband')}
              value={choice.waveband}
              onChange={event =>
                model.setAllVo({ waveband: event.currentTarget.value })
              }
              options={WAVEBANDS.map(w => ({
                value: w,
                label: w || trans.__('any waveband')
              }))}
            />
          </div>
        </div>
      )}
    </div>
  );
}

/**
 * How far an all-VO search is, in one line for the panel (a hundred
 * services get one line, not a hundred).
 */
export function AllVoProgress(props: {
  run: SearchRun;
  trans: TranslationBundle;
}): JSX.Element {
  const { run, trans } = props;
  const total = run.services.length;
  let answered = 0;
  let failed = 0;
  for (const name of run.services) {
    const state = run.status(name).state;
    answered += state === 'rows' ? 1 : 0;
    failed += state === 'error' ? 1 : 0;
  }
  return (
    <p
      className="esap-AllVo-progress"
      aria-live="polite"
      data-esap-vo-answered={answered}
      data-esap-vo-failed={failed}
    >
      {run.phase === 'running'
        ? trans.__(
            '%1 of %2 services answered, %3 failed…',
            answered,
            total,
            failed
          )
        : trans.__(
            'Done: %1 of %2 services answered, %3 failed or timed out',
            answered,
            total,
            failed
          )}
    </p>
  );
}

/**
 * One line per service, ranked: the final summary's once it came, else what
 * the stream told so far (the services that answered, most rows first).
 */
function ranking(run: SearchRun): IVoServiceSummary[] {
  if (run.summary) {
    return run.summary.services;
  }
  const listed: IVoService[] = run.registry?.services ?? [];
  const lines: IVoServiceSummary[] = [];
  for (const service of listed) {
    const status = run.status(service.service);
    if (status.state === 'waiting') {
      continue;
    }
    lines.push({
      ...service,
      state:
        status.state === 'rows'
          ? 'rows'
          : status.code === 'timed_out'
            ? 'timed_out'
            : 'error',
      rows: status.state === 'rows' ? status.total : 0,
      unique: status.state === 'rows' ? (status.unique ?? 0) : 0,
      duplicates: 0,
      truncated: status.state === 'rows' && status.truncated,
      duration_ms: status.elapsedMs,
      message:
        status.state === 'error'
          ? `${status.message}${status.fix ? ` — ${status.fix}` : ''}`
          : undefined
    });
  }
  return lines.sort((a, b) => b.rows - a.rows);
}

function Summary(props: {
  run: SearchRun;
  trans: TranslationBundle;
  facet: string | null;
  promoted: Set<string>;
  onFacet: (service: string | null) => void;
  onOpen: (service: string) => void;
  onPromote: (entry: IVoServiceSummary) => Promise<void>;
}): JSX.Element {
  const { run, trans, facet, promoted, onFacet, onOpen, onPromote } = props;
  const [busy, setBusy] = React.useState<string | null>(null);
  const [error, setError] = React.useState<EsapAPIError | null>(null);
  const lines = ranking(run);
  const answered = lines.filter(line => line.state === 'rows');
  const failed = lines.filter(line => line.state !== 'rows');
  const registry = run.registry;
  const promote = async (entry: IVoServiceSummary) => {
    setBusy(entry.service);
    setError(null);
    try {
      await onPromote(entry);
    } catch (reason) {
      setError(EsapAPIError.from(reason));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="esap-VoSummary">
      {registry && (
        <p className="esap-VoSummary-registry">
          {trans.__(
            '%1 services from the registry (its answer %2 old%3)',
            registry.services.length,
            age(registry.age_s, trans),
            registry.refreshing ? trans.__(', refreshing') : ''
          )}
          {registry.matched > registry.services.length &&
            trans.__(
              '; %1 more not asked (all_vo.max_services)',
              registry.matched - registry.services.length
            )}
        </p>
      )}
      {run.summary && (
        <p
          className="esap-VoSummary-combined"
          data-esap-vo-products={run.summary.combined.total}
        >
          {trans.__(
            '%1 products from %2 services (%3 duplicates left out)',
            run.summary.combined.total.toLocaleString(),
            run.summary.answered,
            run.summary.combined.duplicates.toLocaleString()
          )}
        </p>
      )}
      {error && (
        <p className="esap-RunStatus-error" role="alert">
          {error.message} {error.fix}
        </p>
      )}
      <ol className="esap-VoSummary-ranking">
        {answered.map(line => (
          <li
            key={line.service}
            className={
              facet === line.service
                ? 'esap-VoService esap-mod-selected'
                : 'esap-VoService'
            }
            data-esap-vo-service={line.service}
            data-esap-state={line.state}
          >
            <button
              type="button"
              className="esap-LinkButton esap-VoService-name"
              title={trans.__('Show only %1 in the combined view', line.url)}
              aria-pressed={facet === line.service}
              onClick={() =>
                onFacet(facet === line.service ? null : line.service)
              }
            >
              {line.title}
            </button>
            <span className="esap-Tag">{line.type}</span>
            <span className="esap-VoService-rows" data-esap-rows={line.rows}>
              {rowCount(line.rows, trans)}
              {line.truncated ? trans.__(' (truncated)') : ''}
            </span>
            <span className="esap-Muted" data-esap-unique={line.unique}>
              {trans.__('%1 new', line.unique.toLocaleString())}
            </span>
            <span className="esap-Status-time">
              {trans.__('%1 s', (line.duration_ms / 1000).toFixed(1))}
            </span>
            <Button
              minimal
              small
              className="esap-LinkButton"
              onClick={() => onOpen(line.service)}
            >
              {trans.__('Open')}
            </Button>
            {promoted.has(`${line.type} ${line.url}`) ? (
              <span className="esap-Muted">{trans.__('in my services')}</span>
            ) : (
              <Button
                minimal
                small
                className="esap-LinkButton esap-VoService-promote"
                disabled={busy !== null}
                onClick={() => void promote(line)}
              >
                {busy === line.service
                  ? trans.__('Adding…')
                  : trans.__('Add to my services')}
              </Button>
            )}
          </li>
        ))}
      </ol>
      {failed.length > 0 && (
        <details
          className="esap-VoSummary-failed"
          data-esap-failed={failed.length}
        >
          <summary>
            {trans._n(
              '%1 service failed or timed out',
              '%1 services failed or timed out',
              failed.length
            )}
          </summary>
          <ul>
            {failed.map(line => (
              <li
                key={line.service}
                data-esap-vo-service={line.service}
                data-esap-state={line.state}
              >
                <span className="esap-VoService-name">{line.title}</span>{' '}
                <span className="esap-Tag">{line.type}</span>{' '}
                <span className="esap-Muted">{line.message ?? ''}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function age(seconds: number, trans: TranslationBundle): string {
  if (seconds < 90) {
    return trans.__('%1 s', Math.round(seconds));
  }
  if (seconds < 5400) {
    return trans.__('%1 min', Math.round(seconds / 60));
  }
  if (seconds < 129600) {
    return trans.__('%1 h', Math.round(seconds / 3600));
  }
  return trans.__('%1 days', Math.round(seconds / 86400));
}

class SummaryView extends FittedReactWidget {
  constructor(
    private readonly _run: SearchRun,
    private readonly _trans: TranslationBundle,
    private readonly _content: AllVoResultsContent,
    private readonly _model: DataPanelModel
  ) {
    super();
    this.addClass('esap-VoSummary-host');
    _run.changed.connect(() => this.update());
    _model.changed.connect(() => this.update());
  }

  /** Grow with the ranking up to a third of the results (120 pixels at least). */
  protected maxHeight(): number {
    return Math.max((this.parent?.node.clientHeight ?? 600) / 3, 120);
  }

  protected render(): JSX.Element {
    const promoted = new Set(
      (this._model.services ?? []).map(s => `${s.type} ${s.url}`)
    );
    return (
      <Summary
        run={this._run}
        trans={this._trans}
        facet={this._content.facet}
        promoted={promoted}
        onFacet={service => void this._content.setFacet(service)}
        onOpen={service => this._content.openService(service)}
        onPromote={async entry => {
          const name = serviceNameFor(
            { ...entry, waveband: [] },
            (this._model.services ?? []).map(s => s.name)
          );
          await this._model.addService({ ...entry, waveband: [] }, name);
        }}
      />
    );
  }
}

/**
 * The results of an all-VO search: the services ranked above one combined
 * view of every product (the service its facet), which grows as services
 * answer; a service's own answer opens in a tab of its own on demand.
 */
export class AllVoResultsContent extends DataResultsContent {
  constructor(options: {
    api: DataAPI;
    trans: TranslationBundle;
    run: SearchRun;
    model: DataPanelModel;
  }) {
    super({ api: options.api, trans: options.trans });
    this.addClass('esap-AllVoResults');
    this.allVoRun = options.run;
    this._voTrans = options.trans;
    const summary = new SummaryView(
      options.run,
      options.trans,
      this,
      options.model
    );
    this.insertWidget(0, summary);
    BoxPanel.setStretch(summary, 0);
    this._summary = summary;
    options.run.changed.connect((_, event) => this._onEvent(event?.event));
    this._onEvent(undefined);
  }

  /** The search whose results these are. */
  readonly allVoRun: SearchRun;

  /** The service the combined view shows alone, or null for all. */
  get facet(): string | null {
    return this._facet;
  }

  async setFacet(service: string | null): Promise<void> {
    this._facet = service;
    this._summary.update();
    if (this._combined) {
      this.tabs.currentWidget = this._combined;
      await this._combined.model.setQuery({ service });
      this._label();
    }
  }

  /** Show one service's own answer (all its columns) in a tab. */
  openService(service: string): void {
    const open = this._opened.get(service);
    if (open && !open.isDisposed) {
      this.tabs.currentWidget = open;
      return;
    }
    const source = this.allVoRun.results.find(r => r.service === service);
    if (source) {
      const view = this.addResult(source);
      this._opened.set(service, view);
      this.tabs.currentWidget = view;
    }
  }

  private _onEvent(kind: string | undefined): void {
    const run = this.allVoRun;
    if (!this._combined && run.combined) {
      this._combined = this.addResult(run.combined);
      this._combined.node.dataset.esapCombined = 'true';
      this._combined.model.stateChanged.connect(() => this._label());
      this._label();
    }
    if (kind === 'rows' || kind === 'summary' || run.phase !== 'running') {
      this._refreshSoon(kind === 'summary' ? 0 : 300);
    }
  }

  /** Read the growing combined result again, at most every 300 ms. */
  private _refreshSoon(delay: number): void {
    if (!this._combined || (this._timer !== null && delay > 0)) {
      return;
    }
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._timer = window.setTimeout(() => {
      this._timer = null;
      void this._combined?.model.refresh();
    }, delay);
  }

  private _label(): void {
    const view = this._combined;
    if (!view) {
      return;
    }
    const total = view.model.total.toLocaleString();
    view.title.label = this._facet
      ? this._voTrans.__('All services: %1 (%2)', this._facet, total)
      : this._voTrans.__('All services (%1)', total);
  }

  private _voTrans: TranslationBundle;
  private _summary: SummaryView;
  private _combined: ServiceResultView | null = null;
  private _opened = new Map<string, ServiceResultView>();
  private _facet: string | null = null;
  private _timer: number | null = null;
}
