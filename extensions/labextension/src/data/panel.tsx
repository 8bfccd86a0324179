import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import {
  Button,
  CommandToolbarButton,
  HTMLSelect,
  InputGroup,
  ReactWidget,
  SidePanel,
  caretDownIcon,
  caretRightIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';
import React from 'react';

import { EsapAPIError } from '../request';
import {
  IJob,
  IRegistryEntry,
  IRowsEvent,
  IService,
  ITable,
  isActivePhase
} from './api';
import { SearchForm } from './form';
import { rowCount } from './results';
import { dataIcon } from './icons';
import { DataPanelModel, serviceNameFor } from './model';

/**
 * What the panel asks of the application.
 */
export interface IDataPanelActions {
  /** Show a stored result (an ADQL answer or a finished job) in the main area. */
  openResult: (rows: IRowsEvent, label: string) => void;
  /** Run the command that inserts the last search in a notebook. */
  openInNotebook: () => void;
}

function ErrorBox(props: { error: EsapAPIError | null }): JSX.Element | null {
  const { error } = props;
  if (!error) {
    return null;
  }
  return (
    <div className="esap-Error" role="alert" data-esap-error-code={error.code}>
      <p>{error.message}</p>
      {error.fix && <p className="esap-Error-fix">{error.fix}</p>}
    </div>
  );
}

function toError(reason: unknown): EsapAPIError {
  return reason instanceof EsapAPIError
    ? reason
    : new EsapAPIError({
        code: 'unexpected_error',
        message: String(reason),
        fix: 'Try again.'
      });
}

/**
 * A section of the panel: a React view re-rendered on every model change.
 */
abstract class Section extends ReactWidget {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    name: string,
    label: string
  ) {
    super();
    this.model = model;
    this.trans = trans;
    this.addClass('esap-DataSection');
    this.node.dataset.esapSection = name;
    this.title.label = label;
    model.changed.connect(() => this.update());
  }

  protected readonly model: DataPanelModel;
  protected readonly trans: TranslationBundle;
}

class SearchSection extends Section {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    private readonly _translator: ITranslator,
    private readonly _actions: IDataPanelActions
  ) {
    super(model, trans, 'search', trans.__('Search'));
  }

  protected render(): JSX.Element {
    return (
      <SearchForm
        model={this.model}
        trans={this.trans}
        translator={this._translator}
        onOpenInNotebook={this._actions.openInNotebook}
        onRemoveService={service => void this._remove(service)}
      />
    );
  }

  private async _remove(service: IService): Promise<void> {
    const answer = await showDialog({
      title: this.trans.__('Remove a service'),
      body: this.trans.__(
        'Remove %1 (%2) from your services? You can add it again from the registry.',
        service.title ?? service.name,
        service.url
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: this.trans.__('Remove') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await this.model.removeService(service.name);
    } catch (reason) {
      const error = toError(reason);
      void showErrorMessage(
        this.trans.__('Could not remove %1', service.name),
        `${error.message}\n${error.fix}`
      );
    }
  }
}

/**
 * A TAP service's tables and columns (TAP_SCHEMA); a click inserts a name.
 */
function TableTree(props: {
  tables: ITable[];
  onPick: (text: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { tables, onPick, trans } = props;
  const [open, setOpen] = React.useState<string | null>(null);
  if (tables.length === 0) {
    return (
      <p className="esap-Muted">{trans.__('This service lists no tables.')}</p>
    );
  }
  return (
    <ul className="esap-TableTree" role="tree">
      {tables.map(table => (
        <li
          key={table.name}
          role="treeitem"
          aria-expanded={open === table.name}
          data-esap-table={table.name}
        >
          <div className="esap-TableTree-table">
            <button
              type="button"
              className="esap-IconButton"
              aria-label={trans.__('Columns of %1', table.name)}
              onClick={() => setOpen(open === table.name ? null : table.name)}
            >
              {open === table.name ? (
                <caretDownIcon.react tag="span" />
              ) : (
                <caretRightIcon.react tag="span" />
              )}
            </button>
            <button
              type="button"
              className="esap-TableTree-name"
              title={table.description}
              onClick={() => onPick(table.name)}
            >
              {table.name}
            </button>
          </div>
          {open === table.name && (
            <ul role="group" className="esap-TableTree-columns">
              {table.columns.map(column => (
                <li key={column.name} role="treeitem">
                  <button
                    type="button"
                    className="esap-TableTree-name"
                    onClick={() => onPick(column.name)}
                    title={[column.description, column.ucd]
                      .filter(Boolean)
                      .join(' — ')}
                  >
                    {column.name}
                  </button>
                  <span className="esap-Muted">
                    {column.datatype}
                    {column.unit ? ` [${column.unit}]` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

function AdqlView(props: {
  model: DataPanelModel;
  trans: TranslationBundle;
  actions: IDataPanelActions;
}): JSX.Element {
  const { model, trans, actions } = props;
  const tapServices = (model.services ?? []).filter(s =>
    s.capabilities.includes('adql')
  );
  const [service, setService] = React.useState('');
  const [query, setQuery] = React.useState('');
  const [maxrec, setMaxrec] = React.useState('');
  const [tables, setTables] = React.useState<ITable[] | null>(null);
  const [busy, setBusy] = React.useState<'run' | 'job' | null>(null);
  const [error, setError] = React.useState<EsapAPIError | null>(null);
  const textarea = React.useRef<HTMLTextAreaElement>(null);
  const current =
    tapServices.find(s => s.name === service) ?? tapServices[0] ?? null;

  React.useEffect(() => {
    setTables(null);
    if (!current || !current.capabilities.includes('tables')) {
      return;
    }
    let live = true;
    model.api.tables(current.name).then(
      result => live && setTables(result),
      reason => live && setError(toError(reason))
    );
    return () => {
      live = false;
    };
  }, [current?.name]);

  if (!current) {
    return (
      <p className="esap-Muted">
        {trans.__('None of your services takes ADQL (TAP).')}
      </p>
    );
  }
  const pick = (text: string) => {
    const area = textarea.current;
    if (!area) {
      setQuery(query + text);
      return;
    }
    const start = area.selectionStart;
    const next = query.slice(0, start) + text + query.slice(area.selectionEnd);
    setQuery(next);
    requestAnimationFrame(() => {
      area.focus();
      area.selectionStart = area.selectionEnd = start + text.length;
    });
  };
  const limit = maxrec.trim() ? Number(maxrec) : undefined;
  const run = async (kind: 'run' | 'job') => {
    if (!query.trim()) {
      setError(
        new EsapAPIError({
          code: 'bad_field',
          message: trans.__('query: empty'),
          fix: trans.__(
            'Write an ADQL query, e.g. SELECT TOP 10 * FROM ivoa.obscore'
          )
        })
      );
      return;
    }
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      setError(
        new EsapAPIError({
          code: 'bad_field',
          message: trans.__('maxrec: %1: not a whole number > 0', maxrec),
          fix: trans.__('Give a number of rows, e.g. 1000, or leave it empty')
        })
      );
      return;
    }
    setBusy(kind);
    setError(null);
    try {
      if (kind === 'run') {
        const rows = await model.api.adql(current.name, query, limit);
        actions.openResult(rows, `${current.name}: ADQL`);
      } else {
        await model.submitJob(current.name, query, limit);
      }
    } catch (reason) {
      setError(toError(reason));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="esap-Adql">
      <div className="esap-Field">
        <label className="esap-Field-label" htmlFor="esap-adql-service">
          {trans.__('TAP service')}
        </label>
        <HTMLSelect
          id="esap-adql-service"
          value={current.name}
          onChange={event => setService(event.currentTarget.value)}
          options={tapServices.map(s => ({
            value: s.name,
            label: s.title ?? s.name
          }))}
        />
      </div>
      {current.capabilities.includes('tables') &&
        (tables === null ? (
          <p className="esap-Muted">{trans.__('Loading tables…')}</p>
        ) : (
          <TableTree tables={tables} onPick={pick} trans={trans} />
        ))}
      <label className="esap-Field-label" htmlFor="esap-adql-query">
        {trans.__('ADQL query')}
      </label>
      <textarea
        id="esap-adql-query"
        ref={textarea}
        className="esap-Adql-query jp-mod-styled"
        rows={5}
        spellCheck={false}
        placeholder="SELECT TOP 100 * FROM ivoa.obscore"
        value={query}
        onChange={event => setQuery(event.currentTarget.value)}
      />
      <div className="esap-Row">
        <div className="esap-Field">
          <label className="esap-Field-label" htmlFor="esap-adql-maxrec">
            {trans.__('Max rows')}
          </label>
          <InputGroup
            id="esap-adql-maxrec"
            value={maxrec}
            inputMode="numeric"
            placeholder={trans.__('service default')}
            onChange={event => setMaxrec(event.currentTarget.value)}
          />
        </div>
      </div>
      <div className="esap-Actions">
        <Button
          className="jp-mod-styled jp-mod-accept"
          disabled={busy !== null}
          onClick={() => void run('run')}
        >
          {busy === 'run' ? trans.__('Running…') : trans.__('Run')}
        </Button>
        {current.capabilities.includes('async') && (
          <Button
            className="jp-mod-styled"
            disabled={busy !== null}
            onClick={() => void run('job')}
            title={trans.__(
              'Run as an asynchronous job on the service; it keeps running when you leave'
            )}
          >
            {busy === 'job'
              ? trans.__('Submitting…')
              : trans.__('Submit as job')}
          </Button>
        )}
      </div>
      <ErrorBox error={error} />
    </div>
  );
}

class AdqlSection extends Section {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    private readonly _actions: IDataPanelActions
  ) {
    super(model, trans, 'adql', trans.__('ADQL'));
  }

  protected render(): JSX.Element {
    return (
      <AdqlView model={this.model} trans={this.trans} actions={this._actions} />
    );
  }
}

function phaseClass(job: IJob): string {
  return `esap-Phase esap-Phase-${job.phase.toLowerCase()}`;
}

class JobsSection extends Section {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    private readonly _actions: IDataPanelActions
  ) {
    super(model, trans, 'jobs', trans.__('Jobs'));
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.loadJobs();
  }

  protected render(): JSX.Element {
    const { model, trans } = this;
    const jobs = model.jobs;
    return (
      <div className="esap-Jobs">
        <ErrorBox error={model.jobsError} />
        {jobs === null && !model.jobsError && (
          <p className="esap-Muted">{trans.__('Loading jobs…')}</p>
        )}
        {jobs !== null && jobs.length === 0 && (
          <p className="esap-Muted">
            {trans.__(
              'No jobs yet. Submit an ADQL query as a job above; it keeps running when you close the lab.'
            )}
          </p>
        )}
        {jobs !== null && jobs.length > 0 && (
          <ul className="esap-List">
            {jobs.map(job => (
              <li
                key={job.id}
                className="esap-Job"
                data-esap-job={job.id}
                data-esap-phase={job.phase}
              >
                <div className="esap-Job-line">
                  <span className={phaseClass(job)}>{job.phase}</span>
                  <span className="esap-Job-service">{job.service}</span>
                </div>
                <code className="esap-Job-query" title={job.query}>
                  {job.query}
                </code>
                {job.error && <p className="esap-Error-inline">{job.error}</p>}
                <div className="esap-Job-actions">
                  <span className="esap-Muted esap-Job-time">
                    {new Date(job.created).toLocaleString()}
                  </span>
                  {job.phase === 'COMPLETED' && job.result_id && (
                    <Button
                      minimal
                      small
                      className="esap-LinkButton"
                      onClick={() => void this._open(job)}
                    >
                      {trans.__('Open results')}
                    </Button>
                  )}
                  <Button
                    minimal
                    small
                    className="esap-LinkButton"
                    onClick={() => void this._delete(job)}
                  >
                    {isActivePhase(job.phase)
                      ? trans.__('Abort')
                      : trans.__('Delete')}
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }

  private async _open(job: IJob): Promise<void> {
    if (!job.result_id) {
      return;
    }
    try {
      const page = await this.model.api.page(job.result_id, {
        offset: 0,
        limit: 200
      });
      this._actions.openResult(
        {
          event: 'rows',
          service: job.service,
          result_id: page.result_id,
          columns: page.columns,
          rows: page.rows,
          total: page.total,
          truncated: false,
          elapsed_ms: 0
        },
        this.trans.__('%1: job %2', job.service, job.id)
      );
    } catch (reason) {
      const error = toError(reason);
      void showErrorMessage(
        this.trans.__('Could not open the job results'),
        `${error.message}\n${error.fix}`
      );
    }
  }

  private async _delete(job: IJob): Promise<void> {
    const active = isActivePhase(job.phase);
    const answer = await showDialog({
      title: active ? this.trans.__('Abort job') : this.trans.__('Delete job'),
      body: active
        ? this.trans.__(
            'Abort job %1 on %2? The service stops running it.',
            job.id,
            job.service
          )
        : this.trans.__(
            'Delete job %1 and its results on %2?',
            job.id,
            job.service
          ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({
          label: active ? this.trans.__('Abort') : this.trans.__('Delete')
        })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await this.model.deleteJob(job.id);
    } catch (reason) {
      const error = toError(reason);
      void showErrorMessage(
        this.trans.__('Could not delete job %1', job.id),
        `${error.message}\n${error.fix}`
      );
    }
  }
}

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

class HistorySection extends Section {
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

const SERVICE_TYPES = ['tap', 'sia2', 'scs', 'ssa'];
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

function RegistryView(props: {
  model: DataPanelModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [keywords, setKeywords] = React.useState('');
  const [servicetype, setServicetype] = React.useState('tap');
  const [waveband, setWaveband] = React.useState('');
  const [adding, setAdding] = React.useState<string | null>(null);
  const [addError, setAddError] = React.useState<EsapAPIError | null>(null);
  // Type and URL: a registry's RegTAP endpoint is often a TAP service too.
  const listed = new Set((model.services ?? []).map(s => `${s.type} ${s.url}`));
  const search = () =>
    void model.searchRegistry({
      keywords: keywords.trim(),
      servicetype,
      waveband
    });
  const add = async (entry: IRegistryEntry) => {
    setAdding(entry.ivoid);
    setAddError(null);
    try {
      const name = serviceNameFor(
        entry,
        (model.services ?? []).map(s => s.name)
      );
      await model.addService(entry, name);
    } catch (reason) {
      setAddError(toError(reason));
    } finally {
      setAdding(null);
    }
  };
  return (
    <div className="esap-Registry">
      <form
        className="esap-Registry-form"
        onSubmit={event => {
          event.preventDefault();
          search();
        }}
      >
        <div className="esap-Row esap-Registry-query">
          <InputGroup
            type="search"
            value={keywords}
            placeholder={trans.__('Keywords, e.g. LOFAR')}
            aria-label={trans.__('Registry keywords')}
            onChange={event => setKeywords(event.currentTarget.value)}
          />
          <Button
            type="submit"
            className="jp-mod-styled jp-mod-accept"
            disabled={model.registryBusy}
          >
            {model.registryBusy ? trans.__('Searching…') : trans.__('Find')}
          </Button>
        </div>
        <div className="esap-Row esap-Registry-filters">
          <HTMLSelect
            aria-label={trans.__('Service type')}
            value={servicetype}
            onChange={event => setServicetype(event.currentTarget.value)}
            options={SERVICE_TYPES}
          />
          <HTMLSelect
            aria-label={trans.__('Waveband')}
            value={waveband}
            onChange={event => setWaveband(event.currentTarget.value)}
            options={WAVEBANDS.map(w => ({
              value: w,
              label: w || trans.__('any waveband')
            }))}
          />
        </div>
      </form>
      <ErrorBox error={model.registryError} />
      <ErrorBox error={addError} />
      {model.registryHits !== null && model.registryHits.length === 0 && (
        <p className="esap-Muted">
          {trans.__('The registry knows no such service.')}
        </p>
      )}
      {model.registryHits !== null && model.registryHits.length > 0 && (
        <ul className="esap-List">
          {model.registryHits.map(entry => (
            <li
              key={entry.ivoid}
              className="esap-RegistryHit"
              data-esap-ivoid={entry.ivoid}
            >
              <div className="esap-RegistryHit-line">
                <span className="esap-RegistryHit-title" title={entry.ivoid}>
                  {entry.title}
                </span>
                <span className="esap-Tag">{entry.type}</span>
              </div>
              <p
                className="esap-RegistryHit-description"
                title={entry.description}
              >
                {entry.description}
              </p>
              <div className="esap-RegistryHit-line">
                <span
                  className="esap-Muted esap-RegistryHit-url"
                  title={entry.url}
                >
                  {entry.url}
                </span>
                {listed.has(`${entry.type} ${entry.url}`) ? (
                  <span className="esap-Muted">
                    {trans.__('in my services')}
                  </span>
                ) : (
                  <Button
                    minimal
                    small
                    className="esap-LinkButton"
                    disabled={adding !== null}
                    onClick={() => void add(entry)}
                  >
                    {adding === entry.ivoid
                      ? trans.__('Adding…')
                      : trans.__('Add to my services')}
                  </Button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

class RegistrySection extends Section {
  constructor(model: DataPanelModel, trans: TranslationBundle) {
    super(model, trans, 'registry', trans.__('Registry'));
  }

  protected render(): JSX.Element {
    return <RegistryView model={this.model} trans={this.trans} />;
  }
}

/**
 * The Data panel of the left sidebar (id `esap-data`): federated search,
 * ADQL and asynchronous jobs, history and the IVOA registry, each a
 * section of an accordion like JupyterLab's own side panels. Nothing is
 * loaded until the panel is first shown.
 */
export class DataPanel extends SidePanel {
  constructor(options: DataPanel.IOptions) {
    const translator = options.translator ?? nullTranslator;
    super({ translator });
    const trans = translator.load('esap-hub');
    this.model = options.model;
    this.id = 'esap-data';
    this.addClass('esap-DataPanel');
    this.title.icon = dataIcon;
    this.title.caption = trans.__('Data discovery');

    const heading = new Widget({ node: document.createElement('h2') });
    heading.addClass('esap-DataPanel-title');
    heading.node.textContent = trans.__('Data discovery');
    this.header.addWidget(heading);
    this.toolbar.addItem(
      'refresh',
      new CommandToolbarButton({
        commands: options.commands,
        id: options.refreshCommand,
        icon: refreshIcon,
        label: ''
      })
    );

    const search = new SearchSection(
      this.model,
      trans,
      translator,
      options.actions
    );
    this.addWidget(search);
    this.addWidget(new AdqlSection(this.model, trans, options.actions));
    this.addWidget(new JobsSection(this.model, trans, options.actions));
    this.addWidget(
      new HistorySection(this.model, trans, () => this._expand(0))
    );
    this.addWidget(new RegistrySection(this.model, trans));
    // Search open; the other sections start collapsed under it.
    for (let i = 1; i < this.content.widgets.length; i++) {
      this._collapse(i);
    }
    if (this.content instanceof AccordionPanel) {
      const accordion = this.content;
      // share the height equally among the open sections, so a section
      // opened under a tall one is never squeezed to nothing
      accordion.expansionToggled.connect(() => {
        accordion.setRelativeSizes(
          accordion.widgets.map(widget => (widget.isHidden ? 0 : 1))
        );
      });
    }
  }

  readonly model: DataPanelModel;

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.model.services === null) {
      void this.model.loadServices();
      void this.model.loadJobs();
    }
  }

  private _expand(index: number): void {
    if (this.content instanceof AccordionPanel) {
      this.content.expand(index);
    }
  }

  private _collapse(index: number): void {
    if (this.content instanceof AccordionPanel) {
      this.content.collapse(index);
    }
  }
}

export namespace DataPanel {
  export interface IOptions {
    model: DataPanelModel;
    commands: CommandRegistry;
    refreshCommand: string;
    actions: IDataPanelActions;
    translator?: ITranslator;
  }
}
