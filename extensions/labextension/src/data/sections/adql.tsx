import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  HTMLSelect,
  InputGroup,
  caretDownIcon,
  caretRightIcon
} from '@jupyterlab/ui-components';
import React from 'react';

import { EsapAPIError } from '../../request';
import { ITable } from '../api';
import { DataPanelModel } from '../model';
import { ErrorBox, IDataPanelActions, Section } from './section';

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
  const listed = current?.capabilities.includes('tables') ? current.name : null;
  const api = model.api;

  React.useEffect(() => {
    setTables(null);
    if (listed === null) {
      return;
    }
    let live = true;
    api.tables(listed).then(
      result => live && setTables(result),
      reason => live && setError(EsapAPIError.from(reason))
    );
    return () => {
      live = false;
    };
  }, [api, listed]);

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
        model.rememberResult({
          resultId: rows.result_id,
          label: `${current.name}: ADQL`,
          total: rows.total
        });
        actions.openResult(rows, `${current.name}: ADQL`);
      } else {
        await model.submitJob(current.name, query, limit);
      }
    } catch (reason) {
      setError(EsapAPIError.from(reason));
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

/**
 * ADQL for the services that take it, run at once or as an asynchronous job.
 */
export class AdqlSection extends Section {
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
