import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { EsapAPIError, requestAPI } from './request';

/**
 * The kinds of job the ESAP server runs (`jobs/<kind>` in the REST API).
 */
export type JobKind =
  | 'crossmatch'
  | 'cutout'
  | 'download'
  | 'launch'
  | 'publish'
  | 'query'
  | 'reproduce'
  | 'run'
  | 'view';

/**
 * Where a job is: `pending` and `running` may still change, the others are final.
 */
export type JobState = 'pending' | 'running' | 'done' | 'error' | 'cancelled';

/**
 * Why a job failed: `code` is `interrupted` when the server stopped in the
 * middle of a job that cannot be resumed.
 */
export interface IJobError {
  code: string;
  message: string;
  fix: string;
  field?: string;
}

/**
 * Every long task of the user, whatever its kind: the one job model of the
 * REST API. `params` is what was asked, `result` what the job made so far
 * (each the kind's own).
 */
export interface IJob<
  P = Record<string, unknown>,
  R = Record<string, unknown>
> {
  kind: JobKind;
  id: string;
  state: JobState;
  progress: {
    /** Units done: bytes (download, publish), steps (launch). */
    done: number;
    /** The units to do, when known. */
    total: number | null;
    /** What the job does now (a step, a UWS phase). */
    message: string;
  };
  params: P;
  result: R | null;
  error: IJobError | null;
  /** ISO 8601. */
  created: string;
  updated: string;
}

/**
 * Whether a job may still change.
 */
export function isActive(job: { state: JobState }): boolean {
  return job.state === 'pending' || job.state === 'running';
}

/**
 * The jobs part of the ESAP REST API: start, read, list, cancel or forget.
 */
export class JobsAPI {
  constructor(settings?: ServerConnection.ISettings) {
    this._settings = settings ?? ServerConnection.makeSettings();
  }

  /** Start a job of `kind`; `body` is the kind's own request. */
  start<P, R>(kind: JobKind, body: unknown): Promise<IJob<P, R>> {
    return requestAPI<IJob<P, R>>(
      `jobs/${kind}`,
      { method: 'POST', body: JSON.stringify(body) },
      this._settings
    );
  }

  get<P, R>(kind: JobKind, id: string): Promise<IJob<P, R>> {
    return requestAPI<IJob<P, R>>(
      `jobs/${kind}/${encodeURIComponent(id)}`,
      {},
      this._settings
    );
  }

  async list<P, R>(kind: JobKind): Promise<IJob<P, R>[]> {
    const body = await requestAPI<{ jobs: IJob<P, R>[] }>(
      `jobs/${kind}`,
      {},
      this._settings
    );
    return body.jobs;
  }

  /** Cancel a job while it runs; forget it once it ended (what it made stays). */
  async remove(kind: JobKind, id: string): Promise<void> {
    await requestAPI<void>(
      `jobs/${kind}/${encodeURIComponent(id)}`,
      { method: 'DELETE' },
      this._settings
    );
  }

  private _settings: ServerConnection.ISettings;
}

/**
 * One job followed until it ends, polled every `interval` milliseconds:
 * `changed` on every new state of it, `ended` once it is done, failed or
 * cancelled, `failed` when it cannot be read (the server is gone, the job
 * was forgotten). `ended` resolves the same way.
 */
export class JobFollower<
  P = Record<string, unknown>,
  R = Record<string, unknown>
> implements IDisposable {
  constructor(job: IJob<P, R>, options: JobFollower.IOptions = {}) {
    this._job = job;
    this._api = options.api ?? new JobsAPI();
    this._interval = options.interval ?? 1000;
    this.done = new Promise((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    // a caller that awaits only the signals must not see an unhandled rejection
    this.done.catch(() => undefined);
    if (isActive(job)) {
      this._schedule();
    } else {
      this._resolve(job);
    }
  }

  /** Resolves with the job as it ended; rejects with the error that stopped following it. */
  readonly done: Promise<IJob<P, R>>;

  get job(): IJob<P, R> {
    return this._job;
  }

  get changed(): ISignal<this, IJob<P, R>> {
    return this._changed;
  }

  get ended(): ISignal<this, IJob<P, R>> {
    return this._ended;
  }

  get failed(): ISignal<this, EsapAPIError> {
    return this._failed;
  }

  get isDisposed(): boolean {
    return this._timer === -1;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._timer = -1;
    Signal.clearData(this);
  }

  private _schedule(): void {
    this._timer = window.setTimeout(() => void this._poll(), this._interval);
  }

  private async _poll(): Promise<void> {
    this._timer = null;
    let job: IJob<P, R>;
    try {
      job = await this._api.get<P, R>(this._job.kind, this._job.id);
    } catch (reason) {
      if (!this.isDisposed) {
        const error = EsapAPIError.from(reason, 'Reload the page.');
        this._failed.emit(error);
        this._reject(error);
      }
      return;
    }
    if (this.isDisposed) {
      return;
    }
    if (JSON.stringify(job) !== JSON.stringify(this._job)) {
      this._job = job;
      this._changed.emit(job);
    }
    if (isActive(job)) {
      this._schedule();
    } else {
      this._ended.emit(job);
      this._resolve(job);
    }
  }

  private _job: IJob<P, R>;
  private _api: JobsAPI;
  private _interval: number;
  private _timer: number | null = null;
  private _resolve: (job: IJob<P, R>) => void = () => undefined;
  private _reject: (error: EsapAPIError) => void = () => undefined;
  private _changed = new Signal<this, IJob<P, R>>(this);
  private _ended = new Signal<this, IJob<P, R>>(this);
  private _failed = new Signal<this, EsapAPIError>(this);
}

export namespace JobFollower {
  export interface IOptions {
    api?: JobsAPI;
    /** Milliseconds between two looks at the job (default 1000). */
    interval?: number;
  }
}

/**
 * The jobs of one kind, newest first, read again while any of them is
 * active: after `first` milliseconds, then `factor` times longer each time
 * up to `longest`; `refresh()` (a new job, a click) starts again at `first`.
 * `changed` after every read.
 */
export class JobList<
  P = Record<string, unknown>,
  R = Record<string, unknown>
> implements IDisposable {
  constructor(kind: JobKind, options: JobList.IOptions = {}) {
    this.kind = kind;
    this.api = options.api ?? new JobsAPI();
    this._first = options.first ?? 1000;
    this._longest = options.longest ?? this._first;
    this._factor = options.factor ?? 1;
    this._delay = this._first;
  }

  readonly kind: JobKind;
  readonly api: JobsAPI;

  /** The jobs, newest first; `null` before the first read. */
  get jobs(): readonly IJob<P, R>[] | null {
    return this._jobs;
  }

  /** Why the last read failed, or `null`. */
  get error(): EsapAPIError | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Read the list now; keep reading it while a job is active, from `first` again. */
  async refresh(): Promise<void> {
    this._delay = this._first;
    await this._read();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
    Signal.clearData(this);
  }

  private async _read(): Promise<void> {
    try {
      this._jobs = await this.api.list<P, R>(this.kind);
      this._error = null;
    } catch (reason) {
      this._error = EsapAPIError.from(reason, 'Reload the list.');
    }
    if (this._disposed) {
      return;
    }
    this._changed.emit();
    if (this._timer === null && (this._jobs ?? []).some(isActive)) {
      const delay = this._delay;
      this._delay = Math.min(this._longest, Math.round(delay * this._factor));
      this._timer = window.setTimeout(() => {
        this._timer = null;
        void this._read();
      }, delay);
    }
  }

  private _jobs: IJob<P, R>[] | null = null;
  private _error: EsapAPIError | null = null;
  private _changed = new Signal<this, void>(this);
  private _timer: number | null = null;
  private _first: number;
  private _longest: number;
  private _factor: number;
  private _delay: number;
  private _disposed = false;
}

export namespace JobList {
  export interface IOptions {
    api?: JobsAPI;
    /** Milliseconds before the first read again while a job is active (default 1000). */
    first?: number;
    /** The longest wait between two reads (default `first`: a fixed interval). */
    longest?: number;
    /** How much longer each wait is than the last (default 1). */
    factor?: number;
  }
}
