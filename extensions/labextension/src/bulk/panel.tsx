import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  ReactWidget,
  UseSignal,
  runIcon
} from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel } from '@lumino/widgets';
import React from 'react';

import { EsapAPIError } from '../request';
import { EsapSidePanel } from '../sidepanel';
import { isActive, JobList } from '../jobs';
import { asRun, INotebookRun, IRunJob, IRunResult, RunsAPI } from './api';

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
    this._list = new JobList('run', { api: api.jobs, first: INTERVAL });
    this._list.changed.connect(() => this._changed.emit());
  }

  readonly api: RunsAPI;

  get runs(): readonly INotebookRun[] {
    return (this._list.jobs ?? []).map(asRun);
  }

  get error(): EsapAPIError | null {
    return this._list.error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Refresh now (and keep following the runs while one is active).
   */
  wake(): Promise<void> {
    return this._list.refresh();
  }

  dispose(): void {
    this._list.dispose();
  }

  private _list: JobList<IRunJob['params'], IRunResult>;
  private _changed = new Signal<this, void>(this);
}

function when(stamp: string | null): string {
  return stamp ? new Date(stamp).toLocaleString() : '';
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
          {run.error.message}
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
 * The runs, their state and outputs; re-rendered when the model changes.
 */
function RunsList(props: {
  model: RunsModel;
  trans: TranslationBundle;
  open: (path: string) => void;
}): JSX.Element {
  const { model, trans, open } = props;
  const remove = async (run: INotebookRun) => {
    await model.api.remove(run.id).catch(() => undefined);
    await model.wake();
  };
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <div className="esap-RunsPanel-body">
          {model.error && (
            <div className="esap-RunsPanel-error" role="alert">
              {model.error.message} {model.error.fix}
            </div>
          )}
          {model.runs.length === 0 && !model.error ? (
            <p className="esap-RunsPanel-empty">
              {trans.__(
                'No runs yet. Run a notebook headless with "Run notebook headless" in the command palette, or `esap run notebook.ipynb -p name=value` in a terminal.'
              )}
            </p>
          ) : (
            <ul className="esap-RunsPanel-list">
              {model.runs.map(run => (
                <RunItem
                  key={run.id}
                  run={run}
                  trans={trans}
                  open={open}
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

/**
 * The Jobs view (id `esap-runs`): headless notebook runs (`esap run`, or
 * started from the lab), with their state, and the executed notebook and
 * log to open.
 */
export class RunsPanel extends EsapSidePanel {
  constructor(options: RunsPanel.IOptions) {
    const { model, trans } = options;
    super({
      id: 'esap-runs',
      className: 'esap-RunsPanel',
      heading: trans.__('Notebook runs'),
      icon: runIcon,
      content: new Panel()
    });
    this.model = model;
    this.addRefreshButton({
      onClick: () => void model.wake(),
      tooltip: trans.__('Refresh the runs')
    });
    this.content.addWidget(
      ReactWidget.create(
        <RunsList model={model} trans={trans} open={options.open} />
      )
    );
  }

  readonly model: RunsModel;
}

export namespace RunsPanel {
  export interface IOptions {
    model: RunsModel;
    trans: TranslationBundle;
    open: (path: string) => void;
  }
}
