import { ServerConnection } from '@jupyterlab/services';

import { IJob, JobsAPI, JobState } from '../jobs';

/**
 * What a `run` job made: paths relative to the server root (null when
 * outside it), and the failing cell when one failed.
 */
export interface IRunResult {
  output_dir: string | null;
  executed_notebook: string | null;
  log: string | null;
  started: string | null;
  finished: string | null;
  cell: { ename: string; evalue: string; cell: number | null } | null;
}

/**
 * A headless notebook run: a job of kind `run` (see `jobs.ts`).
 */
export type IRunJob = IJob<
  { notebook: string | null; parameters: Record<string, unknown> },
  IRunResult
>;

/**
 * Why a run failed: for a failing cell, its execution count.
 */
export interface IRunError {
  message: string;
  cell: number | null;
}

/**
 * A headless notebook run as the panel shows it.
 */
export interface INotebookRun {
  id: string;
  state: JobState;
  notebook: string | null;
  parameters: Record<string, unknown>;
  /** ISO 8601. */
  created: string;
  error: IRunError | null;
  output_dir: string | null;
  executed_notebook: string | null;
  log: string | null;
}

/**
 * A run job as the panel shows it.
 */
export function asRun(job: IRunJob): INotebookRun {
  const result = job.result;
  return {
    id: job.id,
    state: job.state,
    ...job.params,
    created: job.created,
    error: job.error
      ? { message: job.error.message, cell: result?.cell?.cell ?? null }
      : null,
    output_dir: result?.output_dir ?? null,
    executed_notebook: result?.executed_notebook ?? null,
    log: result?.log ?? null
  };
}

/**
 * The headless runs part of the ESAP REST API (jobs of kind `run`).
 */
export class RunsAPI {
  constructor(settings: ServerConnection.ISettings) {
    this.jobs = new JobsAPI(settings);
  }

  readonly jobs: JobsAPI;

  async start(
    notebook: string,
    parameters: Record<string, unknown> = {}
  ): Promise<INotebookRun> {
    return asRun(await this.jobs.start('run', { notebook, parameters }));
  }

  /** Cancel a run; forget one that ended (its files stay). */
  remove(id: string): Promise<void> {
    return this.jobs.remove('run', id);
  }
}
