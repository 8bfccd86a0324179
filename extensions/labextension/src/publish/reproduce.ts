import { IJob, isActive, JobFollower, JobsAPI } from '../jobs';

/**
 * What a reproduction was asked: the record (a DOI, a record's URL or a
 * publication id), and how its environment is made.
 */
export interface IReproduceParams {
  source: string;
  nearest?: boolean;
  packages?: Record<string, string>;
  fresh?: boolean;
}

/**
 * One step of a reproduction, as far as it got.
 */
export interface IReproduceStep {
  name: string;
  state: 'pending' | 'running' | 'done' | 'warning' | 'failed' | 'skipped';
  message: string;
}

/**
 * How far a reproduction is, its verdict and where its report is (paths
 * relative to the home).
 */
export interface IReproduceResult {
  folder: string | null;
  report_html: string | null;
  report_json: string | null;
  verdict?: 'running' | 'reproduced' | 'differs' | 'failed';
  summary?: string;
  record?: {
    archive: string | null;
    id: string | null;
    url: string | null;
    title: string | null;
    doi: string | null;
    publication: string | null;
  };
  run_job: string | null;
  steps?: IReproduceStep[];
}

/**
 * A reproduction: a job of kind `reproduce`.
 */
export type IReproduction = IJob<IReproduceParams, IReproduceResult>;

/**
 * Reproductions through the one jobs API (`jobs/reproduce`).
 */
export namespace ReproduceAPI {
  const jobs = new JobsAPI();

  /** Start reproducing `source` (a DOI, a record's URL, a publication id). */
  export function start(
    source: string,
    options: Omit<IReproduceParams, 'source'> = {}
  ): Promise<IReproduction> {
    return jobs.start<IReproduceParams, IReproduceResult>('reproduce', {
      source,
      ...options
    });
  }

  /** Every reproduction, newest first. */
  export function list(): Promise<IReproduction[]> {
    return jobs.list<IReproduceParams, IReproduceResult>('reproduce');
  }

  /** Stop a reproduction (its notebook's run stops with it). */
  export function cancel(id: string): Promise<void> {
    return jobs.remove('reproduce', id);
  }

  /**
   * Follow a reproduction until it ends, calling `onChange` each time it
   * moves; resolves with it as it ended.
   */
  export async function follow(
    started: IReproduction,
    onChange: (job: IReproduction) => void,
    interval = 1000
  ): Promise<IReproduction> {
    const follower = new JobFollower(started, { api: jobs, interval });
    follower.changed.connect((_, job) => onChange(job));
    try {
      return await follower.done;
    } finally {
      follower.dispose();
    }
  }
}

/**
 * A reproduction in one line, as a person reads it: where it is while it
 * runs, then its verdict and why.
 */
export function describeReproduction(job: IReproduction): string {
  if (isActive(job)) {
    return job.progress.message || 'starting';
  }
  if (job.state === 'cancelled') {
    return 'cancelled';
  }
  const verdict = job.result?.verdict ?? 'failed';
  const why = job.result?.summary || job.error?.message || '';
  return why ? `${verdict}: ${why}` : verdict;
}

/**
 * The newest reproduction of each source (a publication id, a DOI, ...).
 */
export function latestBySource(
  jobs: readonly IReproduction[]
): Map<string, IReproduction> {
  const found = new Map<string, IReproduction>();
  for (const job of jobs) {
    if (!found.has(job.params.source)) {
      found.set(job.params.source, job);
    }
  }
  return found;
}
