import { ServerConnection } from '@jupyterlab/services';

import { IJob, JobsAPI, JobState } from '../jobs';
import { requestAPI } from '../request';

/**
 * A software record as `GET software/search` and `GET software/records/...`
 * answer it (codemeta terms; `codemeta` only in details).
 */
export interface ISoftware {
  catalogue: string;
  identifier: string;
  name: string;
  description: string;
  version: string | null;
  licence: string | null;
  languages: string[];
  runtimes: string[];
  keywords: string[];
  authors: string[];
  repository: string | null;
  ref: string | null;
  url: string | null;
  doi: string | null;
  publications: string[];
  binder_url: string | null;
  basket_item: Record<string, unknown>;
  codemeta?: Record<string, unknown>;
}

/**
 * What a search answers: the hits, and each failing catalogue's message.
 */
export interface ISearchResult {
  hits: ISoftware[];
  errors: Record<string, string>;
  catalogues: string[];
}

export interface ISearchForm {
  q: string;
  language: string;
  license: string;
  runtime: string;
}

export type StepState = 'pending' | 'running' | 'done' | 'skipped' | 'error';

export interface ILaunchStep {
  name: string;
  state: StepState;
  output: string;
}

/**
 * What a `launch` job made so far: its steps, and the kernel and notebook when done.
 */
export interface ILaunchResult {
  steps: ILaunchStep[];
  current: string | null;
  failed: string | null;
  folder: string | null;
  kernel: string | null;
  notebook: string | null;
}

/**
 * "Open in my lab": a job of kind `launch` (see `jobs.ts`).
 */
export type ILaunchJob = IJob<
  { repository: string; ref: string | null; name: string },
  ILaunchResult
>;

/**
 * One "Open in my lab" launch and where it is, as the panel shows it.
 */
export interface ILaunch {
  id: string;
  repository: string;
  ref: string | null;
  name: string;
  state: JobState;
  steps: ILaunchStep[];
  current: string | null;
  failed: string | null;
  /** Share of the steps finished (0..1). */
  progress: number;
  kernel: string | null;
  notebook: string | null;
  error: string | null;
}

/**
 * A launch job as the panel shows it.
 */
export function asLaunch(job: ILaunchJob): ILaunch {
  const { result, progress } = job;
  return {
    id: job.id,
    ...job.params,
    state: job.state,
    steps: result?.steps ?? [],
    current: result?.current ?? null,
    failed: result?.failed ?? null,
    progress: progress.total ? progress.done / progress.total : 0,
    kernel: result?.kernel ?? null,
    notebook: result?.notebook ?? null,
    error: job.error ? `${job.error.message} — ${job.error.fix}` : null
  };
}

/**
 * The software endpoints of the ESAP API.
 */
export class SoftwareAPI {
  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings;
  }

  search(form: ISearchForm): Promise<ISearchResult> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) {
      if (value.trim()) {
        params.set(key, value.trim());
      }
    }
    return requestAPI<ISearchResult>(
      `software/search?${params.toString()}`,
      {},
      this.settings
    );
  }

  details(hit: ISoftware): Promise<ISoftware> {
    return requestAPI<ISoftware>(
      `software/records/${encodeURIComponent(hit.catalogue)}/${encodeURIComponent(hit.identifier)}`,
      {},
      this.settings
    );
  }

  /**
   * Start "Open in my lab". The ref is left to the repository's default
   * branch: a catalogue's version is not always a tag of its repository, so
   * checking it out could fail where the default branch works. The REST API
   * itself takes a branch, a tag or a commit as `ref`.
   */
  launch(repository: string, name: string): Promise<ILaunchJob> {
    return new JobsAPI(this.settings).start('launch', {
      repository,
      ref: null,
      name
    });
  }

  launches(): Promise<ILaunchJob[]> {
    return new JobsAPI(this.settings).list('launch');
  }

  private readonly settings?: ServerConnection.ISettings;
}
