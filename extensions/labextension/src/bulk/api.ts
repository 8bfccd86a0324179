import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from '../request';

/**
 * The state of a headless notebook run.
 */
export type RunState =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * Why a run failed: for a failing cell, its execution count and error.
 */
export interface IRunError {
  ename: string;
  evalue: string;
  cell?: number | null;
  cell_index?: number;
}

/**
 * A headless notebook run as `GET jobs` describes it; paths are relative to
 * the server root (null when outside it).
 */
export interface INotebookRun {
  id: string;
  state: RunState;
  notebook: string | null;
  parameters: Record<string, unknown>;
  created: number;
  started: number | null;
  finished: number | null;
  error: IRunError | null;
  output_dir: string | null;
  executed_notebook: string | null;
  log: string | null;
}

/**
 * Whether a run may still change state.
 */
export function isActive(run: INotebookRun): boolean {
  return run.state === 'queued' || run.state === 'running';
}

/**
 * The headless runs part of the ESAP REST API.
 */
export class RunsAPI {
  constructor(settings: ServerConnection.ISettings) {
    this._settings = settings;
  }

  async list(): Promise<INotebookRun[]> {
    const body = await requestAPI<{ jobs: INotebookRun[] }>(
      'jobs',
      {},
      this._settings
    );
    return body.jobs;
  }

  async start(
    notebook: string,
    parameters: Record<string, unknown> = {}
  ): Promise<INotebookRun> {
    return requestAPI<INotebookRun>(
      'jobs',
      { method: 'POST', body: JSON.stringify({ notebook, parameters }) },
      this._settings
    );
  }

  async remove(id: string): Promise<void> {
    await requestAPI<void>(
      `jobs/${encodeURIComponent(id)}`,
      { method: 'DELETE' },
      this._settings
    );
  }

  private _settings: ServerConnection.ISettings;
}
