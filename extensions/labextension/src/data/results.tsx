import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { InputGroup, ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { BoxPanel, SplitPanel, TabPanel } from '@lumino/widgets';
import React from 'react';

import { Cell, DataAPI, IColumn } from './api';
import { PagedResultModel, ResultGrid } from './grid';
import { dataIcon } from './icons';
import { IResultSource, SearchRun, ServiceStatus } from './search';
import { ISkyRegion, SkyView } from './skyview';

/**
 * Whether a URL from an archive may be used as a link or image source:
 * only http(s), so `javascript:` and `data:` URLs never reach the DOM.
 */
export function safeHttpUrl(value: Cell | undefined): string | null {
  if (typeof value !== 'string' || value.length === 0) {
    return null;
  }
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:'
      ? url.href
      : null;
  } catch {
    return null;
  }
}

/**
 * A thumbnail whose `src` is set as a DOM property, after the http(s) check.
 */
function Thumbnail(props: { url: string; alt: string }): JSX.Element {
  const ref = React.useRef<HTMLImageElement>(null);
  React.useEffect(() => {
    if (ref.current) {
      ref.current.src = props.url;
    }
  }, [props.url]);
  return (
    <img
      ref={ref}
      className="esap-Record-preview"
      alt={props.alt}
      loading="lazy"
      onError={event => {
        // an archive's dead preview link: no broken-image box
        event.currentTarget.hidden = true;
      }}
    />
  );
}

/**
 * "1 row" or "12,345 rows", with the number in the reader's locale.
 */
export function rowCount(n: number, trans: TranslationBundle): string {
  return n === 1 ? trans.__('1 row') : trans.__('%1 rows', n.toLocaleString());
}

function formatValue(value: Cell | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  return String(value);
}

/**
 * The record pane: the current row's preview and every field, as text.
 */
function Record(props: {
  columns: IColumn[];
  row: Cell[] | null;
  index: number | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { columns, row, index, trans } = props;
  if (index === null) {
    return (
      <p className="esap-Record-empty">
        {trans.__('Select a row to see its fields and preview.')}
      </p>
    );
  }
  if (row === null) {
    return (
      <p className="esap-Record-empty">
        {trans.__('Loading row %1…', index + 1)}
      </p>
    );
  }
  const previews = columns
    .map((col, i) => (col.role === 'preview' ? safeHttpUrl(row[i]) : null))
    .filter((url): url is string => url !== null);
  return (
    <div className="esap-Record" data-esap-row={index}>
      {previews.map(url => (
        <Thumbnail
          key={url}
          url={url}
          alt={trans.__('Preview of row %1', index + 1)}
        />
      ))}
      <dl className="esap-Record-fields">
        {columns.map((col, i) => {
          const value = row[i];
          const link =
            col.role === 'access_url' || col.role === 'preview'
              ? safeHttpUrl(value)
              : null;
          return (
            <React.Fragment key={col.name}>
              <dt title={col.description || col.ucd || undefined}>
                {col.unit ? `${col.name} [${col.unit}]` : col.name}
              </dt>
              <dd>
                {link ? (
                  <a href={link} target="_blank" rel="noopener noreferrer">
                    {link}
                  </a>
                ) : (
                  formatValue(value)
                )}
              </dd>
            </React.Fragment>
          );
        })}
      </dl>
    </div>
  );
}

/**
 * The filter box and counts above a result grid.
 */
function ResultBar(props: {
  model: PagedResultModel;
  selected: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, selected, trans } = props;
  const [filter, setFilter] = React.useState(model.query.filter);
  React.useEffect(() => {
    if (filter === model.query.filter) {
      return;
    }
    const timer = window.setTimeout(() => void model.setQuery({ filter }), 350);
    return () => window.clearTimeout(timer);
  }, [filter, model]);
  const count = model.query.filter
    ? trans.__(
        '%1 of %2 rows match',
        model.total.toLocaleString(),
        model.unfilteredTotal.toLocaleString()
      )
    : rowCount(model.total, trans);
  return (
    <div className="esap-ResultBar">
      <InputGroup
        className="esap-ResultBar-filter"
        type="search"
        rightIcon="ui-components:search"
        placeholder={trans.__('Filter rows (server-side)')}
        aria-label={trans.__('Filter rows')}
        value={filter}
        onChange={event => setFilter(event.currentTarget.value)}
      />
      <span className="esap-ResultBar-count" data-esap-total={model.total}>
        {count}
      </span>
      {model.query.sort && (
        <span className="esap-ResultBar-sort">
          {trans.__(
            'sorted by %1 (%2)',
            model.query.sort,
            model.query.order === 'asc'
              ? trans.__('ascending')
              : trans.__('descending')
          )}
        </span>
      )}
      {selected > 0 && (
        <span className="esap-ResultBar-selected" data-esap-selected={selected}>
          {trans._n('%1 selected', '%1 selected', selected)}
        </span>
      )}
      {model.error && (
        <span className="esap-ResultBar-error" role="alert">
          {model.error.message} {model.error.fix}
        </span>
      )}
    </div>
  );
}

/**
 * One service's result: filter bar, the virtualised grid and the record pane.
 */
export class ServiceResultView extends BoxPanel {
  constructor(
    api: DataAPI,
    source: IResultSource,
    trans: TranslationBundle,
    region: ISkyRegion | null = null
  ) {
    super({ direction: 'top-to-bottom', spacing: 0 });
    this.addClass('esap-ServiceResult');
    this.node.dataset.esapService = source.service;
    this.model = new PagedResultModel(api, source);
    this.grid = new ResultGrid(this.model);
    this._record = new RecordView(this.model, this.grid, trans);
    const split = new SplitPanel({ orientation: 'horizontal', spacing: 1 });
    split.addClass('esap-ServiceResult-split');
    this.sky = new SkyView({
      api,
      model: this.model,
      grid: this.grid,
      region,
      trans
    });
    // the sky above the record pane; it hides itself when the hub turns it off
    const side = new SplitPanel({ orientation: 'vertical', spacing: 1 });
    side.addClass('esap-ServiceResult-side');
    side.addWidget(this.sky);
    side.addWidget(this._record);
    side.setRelativeSizes([3, 2]);
    split.addWidget(this.grid);
    split.addWidget(side);
    split.setRelativeSizes([3, 2]);

    this._barHost = new ResultBarView(this.model, this.grid, trans);
    this.addWidget(this._barHost);
    this.addWidget(split);
    BoxPanel.setStretch(this._barHost, 0);
    BoxPanel.setStretch(split, 1);
  }

  readonly model: PagedResultModel;
  readonly grid: ResultGrid;
  readonly sky: SkyView;

  /**
   * The values of the selected rows, fetching the pages that are not in
   * the browser yet.
   *
   * @throws {Error} When a page of them does not arrive.
   */
  async selectedValues(): Promise<Cell[][]> {
    const wanted = this.grid.selectedRows();
    const rows = await this.model.rows(wanted);
    if (rows.length < wanted.length) {
      const reason = this.model.error?.message ?? 'no answer';
      throw new Error(
        `the selected rows did not arrive from the server (${reason}); try again`
      );
    }
    return rows;
  }

  private _barHost: ResultBarView;
  private _record: RecordView;
}

class ResultBarView extends ReactWidget {
  constructor(
    model: PagedResultModel,
    grid: ResultGrid,
    trans: TranslationBundle
  ) {
    super();
    this.addClass('esap-ResultBar-host');
    this._model = model;
    this._grid = grid;
    this._trans = trans;
    model.stateChanged.connect(() => this.update());
    grid.selectionModel?.changed.connect(() => this.update());
  }

  protected render(): JSX.Element {
    return (
      <ResultBar
        model={this._model}
        selected={this._grid.selectedRows().length}
        trans={this._trans}
      />
    );
  }

  private _model: PagedResultModel;
  private _grid: ResultGrid;
  private _trans: TranslationBundle;
}

class RecordView extends ReactWidget {
  constructor(
    model: PagedResultModel,
    grid: ResultGrid,
    trans: TranslationBundle
  ) {
    super();
    this.addClass('esap-Record-host');
    this._model = model;
    this._grid = grid;
    this._trans = trans;
    grid.selectionModel?.changed.connect(() => this.update());
    model.pageLoaded.connect(() => this.update());
    model.changed.connect((_, args) => {
      if (args.type === 'model-reset') {
        this.update();
      }
    });
  }

  protected render(): JSX.Element {
    const cursor = this._grid.selectionModel?.cursorRow ?? -1;
    const index = cursor >= 0 && cursor < this._model.total ? cursor : null;
    return (
      <Record
        columns={this._model.columns}
        row={index === null ? null : this._model.row(index)}
        index={index}
        trans={this._trans}
      />
    );
  }

  private _model: PagedResultModel;
  private _grid: ResultGrid;
  private _trans: TranslationBundle;
}

function statusText(status: ServiceStatus, trans: TranslationBundle): string {
  switch (status.state) {
    case 'waiting':
      return trans.__('waiting…');
    case 'rows':
      return status.truncated
        ? trans.__('%1 rows (truncated)', status.total.toLocaleString())
        : rowCount(status.total, trans);
    case 'error':
      return status.fix ? `${status.message} — ${status.fix}` : status.message;
  }
}

/**
 * The status of every service of a search, as one line each.
 *
 * Each line carries `data-esap-service-status` (the service name) and
 * `data-esap-state` (`waiting`, `rows` or `error`); the error text is the
 * service's own message, rendered as text.
 */
export function ServiceStatusList(props: {
  run: SearchRun;
  trans: TranslationBundle;
  hook?: string;
}): JSX.Element | null {
  const { run, trans } = props;
  const hook = props.hook ?? 'data-esap-service-status';
  const names =
    run.services.length > 0 ? run.services : (run.request.services ?? []);
  if (names.length === 0) {
    return null;
  }
  return (
    <ul className="esap-StatusList" aria-live="polite">
      {names.map(name => {
        const status = run.status(name);
        const attributes = { [hook]: name, 'data-esap-state': status.state };
        return (
          <li
            key={name}
            className={`esap-Status esap-Status-${status.state}`}
            {...attributes}
          >
            <span className="esap-Status-dot" aria-hidden="true" />
            <span className="esap-Status-name">{name}</span>
            <span className="esap-Status-text">
              {statusText(status, trans)}
            </span>
            {status.state !== 'waiting' && (
              <span className="esap-Status-time">
                {trans.__('%1 s', (status.elapsedMs / 1000).toFixed(1))}
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A React widget in a box layout that grows with its content up to a
 * limit: the box layout knows a child's height only through its CSS
 * minimum, so that is kept in step with the content after each render.
 */
export abstract class FittedReactWidget extends ReactWidget {
  /** The most pixels the widget may take. */
  protected abstract maxHeight(): number;

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    requestAnimationFrame(() => this._fitHeight());
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    requestAnimationFrame(() => this._fitHeight());
  }

  private _fitHeight(): void {
    const inner = this.node.firstElementChild as HTMLElement | null;
    if (!inner || this.isDisposed) {
      return;
    }
    const height = `${Math.round(Math.min(inner.scrollHeight + 1, this.maxHeight()))}px`;
    if (this.node.style.minHeight !== height) {
      this.node.style.minHeight = height;
      this.node.style.maxHeight = height;
      this.parent?.fit();
    }
  }
}

class RunStatusView extends FittedReactWidget {
  constructor(run: SearchRun, trans: TranslationBundle) {
    super();
    this.addClass('esap-DataResults-status');
    this._run = run;
    this._trans = trans;
    run.changed.connect(() => this.update());
  }

  /** Grow or shrink with the status lines, up to 160 pixels. */
  protected maxHeight(): number {
    return 160;
  }

  protected render(): JSX.Element {
    const run = this._run;
    const trans = this._trans;
    return (
      <div className="esap-RunStatus">
        {run.resolved && (
          <p className="esap-RunStatus-resolved">
            {trans.__(
              '%1 resolved by %2 to RA %3°, Dec %4°',
              run.resolved.target,
              run.resolved.resolver,
              run.resolved.ra.toFixed(5),
              run.resolved.dec.toFixed(5)
            )}
          </p>
        )}
        <ServiceStatusList
          run={run}
          trans={trans}
          hook="data-esap-result-status"
        />
        {run.error && (
          <p className="esap-RunStatus-error" role="alert">
            {run.error.message} {run.error.fix}
          </p>
        )}
      </div>
    );
  }

  private _run: SearchRun;
  private _trans: TranslationBundle;
}

/**
 * The body of a results widget: the services' statuses and one tab per
 * service result, added as each service answers.
 */
export class DataResultsContent extends BoxPanel {
  constructor(options: {
    api: DataAPI;
    trans: TranslationBundle;
    run?: SearchRun;
  }) {
    super({ direction: 'top-to-bottom', spacing: 0 });
    this.addClass('esap-DataResults-content');
    this._api = options.api;
    this._trans = options.trans;
    this.run = options.run ?? null;
    this.tabs = new TabPanel({ tabsMovable: true });
    this.tabs.addClass('esap-DataResults-tabs');
    if (this.run) {
      const status = new RunStatusView(this.run, this._trans);
      this.addWidget(status);
      BoxPanel.setStretch(status, 0);
      for (const source of this.run.results) {
        this.addResult(source);
      }
      this.run.resultAdded.connect((_, source) => this.addResult(source));
    }
    this.addWidget(this.tabs);
    BoxPanel.setStretch(this.tabs, 1);
  }

  readonly run: SearchRun | null;
  readonly tabs: TabPanel;

  /**
   * Show one more service's result in its own tab.
   */
  addResult(source: IResultSource): ServiceResultView {
    const view = new ServiceResultView(
      this._api,
      source,
      this._trans,
      this._skyRegion()
    );
    view.title.label = `${source.service} (${source.total.toLocaleString()})`;
    view.title.caption = this._trans._n(
      '%2: %1 row',
      '%2: %1 rows',
      source.total,
      source.service
    );
    view.model.stateChanged.connect(model => {
      view.title.label = model.query.filter
        ? `${source.service} (${model.total.toLocaleString()}/${model.unfilteredTotal.toLocaleString()})`
        : `${source.service} (${model.total.toLocaleString()})`;
    });
    this.tabs.addWidget(view);
    if (this.tabs.widgets.length === 1) {
      this.tabs.currentWidget = view;
    }
    return view;
  }

  /** The search cone, for the sky view: the resolved target or the given position. */
  private _skyRegion(): ISkyRegion | null {
    const run = this.run;
    if (!run) {
      return null;
    }
    const ra = run.resolved?.ra ?? run.request.ra;
    const dec = run.resolved?.dec ?? run.request.dec;
    if (typeof ra !== 'number' || typeof dec !== 'number') {
      return null;
    }
    return { ra, dec, radius: run.request.radius };
  }

  private _api: DataAPI;
  private _trans: TranslationBundle;
}

/**
 * A main-area widget showing the results of one search (or one ADQL query
 * or job); class `esap-DataResults`.
 */
export class DataResultsWidget extends MainAreaWidget<DataResultsContent> {
  constructor(options: {
    content: DataResultsContent;
    label: string;
    trans: TranslationBundle;
  }) {
    super({ content: options.content });
    DataResultsWidget._count += 1;
    this.id = `esap-data-results-${DataResultsWidget._count}`;
    this.addClass('esap-DataResults');
    this.title.label = options.label;
    this.title.caption = options.trans.__(
      'ESAP data results: %1',
      options.label
    );
    this.title.icon = dataIcon;
    this.title.closable = true;
  }

  private static _count = 0;
}
