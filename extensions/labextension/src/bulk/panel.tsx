import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  ReactWidget,
  UseSignal,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { EsapAPIError } from '../request';
import { INotebookRun, isActive, RunsAPI } from './api';

/**
 * Milliseconds between refreshes while a run is active.
 */
const INTERVAL = 3000;

/**
 * The runs the Jobs view shows, refreshed while any of them is active.
 */
export class RunsModel {
  constructor(api: RunsAPI) {
    this.api = api;
  }

  readonly api: RunsAPI;

  get runs(): readonly INotebookRun[] {
    return this._runs;
  }

  get error(): EsapAPIError | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  async refresh(): Promise<void> {
    try {
      this._runs = await this.api.list();
      this._error = null;
    } catch (reason) {
      this._error =
        reason instanceof EsapAPIError
          ? reason
          : new EsapAPIError({
              code: 'unexpected',
              message: String(reason),
              fix: 'Reload the page.'
            });
    }
    this._changed.emit();
    // follow active runs every few seconds; stop once none is left
    const active = this._runs.some(isActive);
    if (active && this._timer === null) {
      this._timer = window.setInterval(() => void this.refresh(), INTERVAL);
    } else if (!active && this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  /**
   * Refresh now (and keep following the runs while one is active).
   */
  async wake(): Promise<void> {
    await this.refresh();
  }

  dispose(): void {
    if (this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _runs: INotebookRun[] = [];
  private _error: EsapAPIError | null = null;
  private _changed = new Signal<this, void>(this);
  private _timer: number | null = null;
}

function when(stamp: number | null): string {
  return stamp ? new Date(stamp * 1000).toLocaleString() : '';
}

function RunItem(props: {
  run: INotebookRun;
  trans: TranslationBundle;
  open: (path: string) => void;
  remove: (run: INotebookRun) => void;
}): JSX.Element {
  const { run, trans, open } = props;
  const parameters = Object.entries(run.parameters)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(' ');
  return (
    <li className="esap-Run" data-esap-run={run.id} data-esap-state={run.state}>
      <div className="esap-Run-header">
        <span className={`esap-Run-state esap-mod-${run.state}`}>
          {run.state}
        </span>
        <span className="esap-Run-notebook" title={run.notebook ?? ''}>
          {run.notebook ?? trans.__('(outside your home)')}
        </span>
      </div>
      <div className="esap-Run-meta">
        {when(run.created)}
        {parameters ? ` · ${parameters}` : ''}
      </div>
      {run.error && (
        <div className="esap-Run-error">
          {run.error.cell ? trans.__('Cell [%1]: ', run.error.cell) : ''}
          {`${run.error.ename}: ${run.error.evalue}`}
        </div>
      )}
      <div className="esap-Run-actions">
        {run.executed_notebook && (
          <Button
            small
            minimal
            className="esap-Run-openNotebook"
            onClick={() => open(run.executed_notebook!)}
            title={run.executed_notebook}
          >
            {trans.__('Executed notebook')}
          </Button>
        )}
        {run.log && (
          <Button
            small
            minimal
            className="esap-Run-openLog"
            onClick={() => open(run.log!)}
            title={run.log}
          >
            {trans.__('Log')}
          </Button>
        )}
        <Button
          small
          minimal
          className="esap-Run-remove"
          onClick={() => props.remove(run)}
          title={
            isActive(run)
              ? trans.__('Stop this run')
              : trans.__('Remove from the list (its files stay)')
          }
        >
          {isActive(run) ? trans.__('Cancel') : trans.__('Remove')}
        </Button>
      </div>
    </li>
  );
}

/**
 * The Jobs view: headless notebook runs (`esap run`, or started from the
 * lab), with their state, and the executed notebook and log to open.
 */
export class RunsPanel extends ReactWidget {
  constructor(options: RunsPanel.IOptions) {
    super();
    this.model = options.model;
    this._trans = options.trans;
    this._open = options.open;
    this.addClass('esap-RunsPanel');
  }

  readonly model: RunsModel;

  protected render(): JSX.Element {
    const trans = this._trans;
    const remove = async (run: INotebookRun) => {
      await this.model.api.remove(run.id).catch(() => undefined);
      await this.model.wake();
    };
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <div className="esap-RunsPanel-body">
            <div className="esap-RunsPanel-header">
              <h2>{trans.__('Notebook runs')}</h2>
              <ToolbarButtonComponent
                icon={refreshIcon}
                tooltip={trans.__('Refresh the runs')}
                onClick={() => void this.model.wake()}
              />
            </div>
            {this.model.error && (
              <div className="esap-RunsPanel-error" role="alert">
                {this.model.error.message} {this.model.error.fix}
              </div>
            )}
            {this.model.runs.length === 0 && !this.model.error ? (
              <p className="esap-RunsPanel-empty">
                {trans.__(
                  'No runs yet. Run a notebook headless with "Run notebook headless" in the command palette, or `esap run notebook.ipynb -p name=value` in a terminal.'
                )}
              </p>
            ) : (
              <ul className="esap-RunsPanel-list">
                {this.model.runs.map(run => (
                  <RunItem
                    key={run.id}
                    run={run}
                    trans={trans}
                    open={this._open}
                    remove={remove}
                  />
                ))}
              </ul>
            )}
          </div>
        )}
      </UseSignal>
    );
  }

  private _trans: TranslationBundle;
  private _open: (path: string) => void;
}

export namespace RunsPanel {
  export interface IOptions {
    model: RunsModel;
    trans: TranslationBundle;
    open: (path: string) => void;
  }
}
