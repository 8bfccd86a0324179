import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { IJob, isActive, JobFollower, JobsAPI } from '../jobs';
import { EsapAPIError, requestAPI } from '../request';
import { IRowsEvent } from './api';

/** How a cross-match is done: `auto` uploads where the service takes it. */
export type CrossmatchMethod = 'auto' | 'upload' | 'local';

/** Where the user's table comes from. */
export type CrossmatchSource = 'result' | 'basket' | 'file';

/**
 * The body of `POST data/crossmatch`: exactly one of `result_id`,
 * `basket_ids` and `path` names the table; `radius` is in arcseconds.
 */
export interface ICrossmatchRequest {
  service: string;
  catalogue: string;
  radius: number;
  result_id?: string;
  basket_ids?: string[];
  path?: string;
  ra_column?: string;
  dec_column?: string;
  method?: CrossmatchMethod;
  maxrec?: number;
}

/** What a `crossmatch` job was asked. */
export interface ICrossmatchParams {
  service: string;
  catalogue: string;
  radius: number;
  method: CrossmatchMethod;
  table: Record<string, unknown>;
  ra_column: string;
  dec_column: string;
  columns: string[];
  maxrec: number | null;
}

/** How a `crossmatch` job went: its method, then its matches in the result cache. */
export interface ICrossmatchResult {
  method: 'upload' | 'local';
  job_url?: string;
  result_id?: string;
  matches?: number;
  rows?: number;
  without_position?: number;
  matched_rows?: number;
  truncated?: boolean;
  uploaded?: number | null;
}

export type CrossmatchJob = IJob<ICrossmatchParams, ICrossmatchResult>;

/** The cross-match form as typed (strings, so nothing typed is lost on a refusal). */
export interface ICrossmatchForm {
  source: CrossmatchSource;
  resultId: string;
  path: string;
  raColumn: string;
  decColumn: string;
  service: string;
  catalogue: string;
  radius: string;
  method: CrossmatchMethod;
}

export const EMPTY_CROSSMATCH: ICrossmatchForm = {
  source: 'result',
  resultId: '',
  path: '',
  raColumn: '',
  decColumn: '',
  service: '',
  catalogue: '',
  radius: '2',
  method: 'auto'
};

/**
 * The cross-match endpoints: start one, follow and cancel it as a job
 * (`jobs/crossmatch/{id}`), and the basket's data items to match.
 */
export class CrossmatchAPI {
  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings ?? ServerConnection.makeSettings();
    this.jobs = new JobsAPI(this.settings);
  }

  readonly settings: ServerConnection.ISettings;
  readonly jobs: JobsAPI;

  start(request: ICrossmatchRequest): Promise<CrossmatchJob> {
    return requestAPI<CrossmatchJob>(
      'data/crossmatch',
      {
        method: 'POST',
        body: JSON.stringify(request),
        headers: { 'Content-Type': 'application/json' }
      },
      this.settings
    );
  }

  /** The ids of the basket's data items (the rows added from results). */
  async basketDataIds(): Promise<string[]> {
    const page = await requestAPI<{ items: { id: string }[] }>(
      `basket${URLExt.objectToQueryString({ kind: 'data', limit: '5000' })}`,
      {},
      this.settings
    );
    return page.items.map(item => item.id);
  }
}

/**
 * One cross-match at a time, as the Data panel runs it: started, followed
 * (the upload's bytes, the cone queries), cancelled, and once done opened
 * in the results grid. `changed` on every step.
 */
export class CrossmatchRunner {
  constructor(api: CrossmatchAPI) {
    this.api = api;
  }

  readonly api: CrossmatchAPI;

  /** The job as last seen; `null` before the first. */
  job: CrossmatchJob | null = null;
  /** Why starting, following or opening failed (a refused field names itself). */
  error: EsapAPIError | null = null;
  busy = false;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get running(): boolean {
    return this.busy || (this.job !== null && isActive(this.job));
  }

  /**
   * Start a cross-match and follow it; resolves with the finished job
   * (`null` when it was refused, failed or was cancelled).
   */
  async run(request: ICrossmatchRequest): Promise<CrossmatchJob | null> {
    this._follower?.dispose();
    this.busy = true;
    this.error = null;
    this.job = null;
    this._changed.emit();
    try {
      this.job = await this.api.start(request);
    } catch (reason) {
      this.error = EsapAPIError.from(reason, 'Change the request as it says.');
      this.busy = false;
      this._changed.emit();
      return null;
    }
    this.busy = false;
    this._changed.emit();
    const follower = new JobFollower(this.job, {
      api: this.api.jobs,
      interval: 400
    });
    this._follower = follower;
    follower.changed.connect((_, job) => {
      this.job = job;
      this._changed.emit();
    });
    let ended: CrossmatchJob;
    try {
      ended = await follower.done;
    } catch (reason) {
      this.error = EsapAPIError.from(reason, 'Reload the page.');
      this._changed.emit();
      return null;
    }
    this.job = ended;
    if (ended.state === 'error' && ended.error) {
      this.error = new EsapAPIError(ended.error);
    }
    this._changed.emit();
    return ended.state === 'done' ? ended : null;
  }

  /** Cancel the running cross-match (its upload, or its remote job). */
  async cancel(): Promise<void> {
    if (this.job && isActive(this.job)) {
      await this.api.jobs.remove('crossmatch', this.job.id);
    }
  }

  dispose(): void {
    this._follower?.dispose();
    Signal.clearData(this);
  }

  private _follower: JobFollower<ICrossmatchParams, ICrossmatchResult> | null =
    null;
  private _changed = new Signal<this, void>(this);
}

/**
 * A finished cross-match's first page as the results grid opens it.
 */
export function asRows(
  page: {
    result_id: string;
    service: string;
    columns: IRowsEvent['columns'];
    rows: IRowsEvent['rows'];
    total: number;
  },
  truncated: boolean
): IRowsEvent {
  return {
    event: 'rows',
    service: page.service,
    result_id: page.result_id,
    columns: page.columns,
    rows: page.rows,
    total: page.total,
    truncated,
    elapsed_ms: 0
  };
}

/**
 * Check the form in the browser (numbers are numbers, a table is named);
 * the server judges the rest and names the field.
 */
export function crossmatchRequest(
  form: ICrossmatchForm,
  basketIds: string[] | null
): { request: ICrossmatchRequest | null; problem: string | null } {
  const radius = Number(form.radius.trim());
  if (!form.radius.trim() || !Number.isFinite(radius)) {
    return {
      request: null,
      problem: `radius: ${form.radius.trim() || 'empty'}: not a number — give the radius in arcseconds, e.g. 2`
    };
  }
  if (!form.service) {
    return { request: null, problem: 'service: none — choose a TAP service' };
  }
  if (!form.catalogue.trim()) {
    return {
      request: null,
      problem:
        'catalogue: empty — name a table of the service, e.g. schema.table'
    };
  }
  const request: ICrossmatchRequest = {
    service: form.service,
    catalogue: form.catalogue.trim(),
    radius,
    method: form.method
  };
  if (form.source === 'result') {
    if (!form.resultId) {
      return {
        request: null,
        problem:
          'table: no result — search first, then choose one of its results'
      };
    }
    request.result_id = form.resultId;
  } else if (form.source === 'basket') {
    if (!basketIds || basketIds.length === 0) {
      return {
        request: null,
        problem:
          'basket_ids: your basket has no data items — add rows of a result to it first'
      };
    }
    request.basket_ids = basketIds;
  } else {
    if (!form.path.trim()) {
      return {
        request: null,
        problem:
          'path: empty — give a table file in your home, e.g. tables/mine.vot'
      };
    }
    request.path = form.path.trim();
  }
  if (form.raColumn.trim()) {
    request.ra_column = form.raColumn.trim();
  }
  if (form.decColumn.trim()) {
    request.dec_column = form.decColumn.trim();
  }
  return { request, problem: null };
}
