import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IJob as IJobOf, JobsAPI, JobState } from '../jobs';
import { requestAPI, streamAPI } from '../request';

/**
 * What a data service can do beyond the federated search.
 */
export type Capability =
  'search' | 'adql' | 'async' | 'tables' | 'files' | 'bring' | 'token';

/**
 * A JSON Schema object, as a service declares its query parameters.
 */
export type JSONSchema = Record<string, unknown>;

/**
 * One data service the user can query (`GET data/services`).
 */
export interface IService {
  name: string;
  title: string | null;
  type: string;
  description: string;
  enabled: boolean;
  url: string;
  /** `admin` services come from esap.yaml; `user` ones from the user's own list. */
  source: 'admin' | 'user';
  query_schema: JSONSchema;
  capabilities: Capability[];
  /** Why the service's adapter cannot be used (not installed, broken); absent when it can. */
  error?: string;
}

/**
 * What a column holds, when the service says so.
 */
export type ColumnRole =
  'access_url' | 'preview' | 'ra' | 'dec' | 'format' | 'region' | null;

/**
 * One column of a result table.
 */
export interface IColumn {
  name: string;
  datatype: string;
  unit: string | null;
  ucd: string | null;
  description: string;
  role: ColumnRole;
}

/**
 * A cell value: JSON scalars only, never markup.
 */
export type Cell = string | number | boolean | null;

/**
 * The body of `POST data/search`: one query for every chosen service.
 */
export interface ISearchRequest {
  services: string[] | null;
  target: string | null;
  ra: number | null;
  dec: number | null;
  radius: number;
  band: [number, number] | null;
  time: [string, string] | null;
  collection: string | null;
  text: string | null;
  maxrec: number | null;
  params: Record<string, Record<string, unknown>> | null;
  /** Search every service of these types the IVOA registry lists (instead of `services`). */
  all_vo?: IAllVoRequest | null;
}

/**
 * What an all-VO search asks of the registry.
 */
export interface IAllVoRequest {
  types: ('tap' | 'sia2' | 'scs')[];
  keywords: string | null;
  waveband: string | null;
}

/**
 * A service an all-VO search asks (its `registry` event lists them).
 */
export interface IVoService {
  service: string;
  title: string;
  type: string;
  url: string;
  ivoid: string;
  description: string;
}

/**
 * One service of an all-VO search as its `summary` event ranks it.
 */
export interface IVoServiceSummary extends IVoService {
  state: 'rows' | 'error' | 'timed_out';
  rows: number;
  unique: number;
  duplicates: number;
  truncated: boolean;
  duration_ms: number;
  code?: string;
  message?: string;
}

/** The `registry` event of an all-VO search. */
export interface IRegistryEvent {
  event: 'registry';
  registry: string;
  types: string[];
  keywords: string | null;
  waveband: string | null;
  services: IVoService[];
  matched: number;
  age_s: number;
  refreshing: boolean;
}

/** The `summary` event of an all-VO search. */
export interface ISummaryEvent {
  event: 'summary';
  search_id: string;
  combined: { result_id: string | null; total: number; duplicates: number };
  answered: number;
  failed: number;
  services: IVoServiceSummary[];
}

/**
 * A first page of rows from one service (a `rows` event, or `POST data/adql`).
 */
export interface IRowsEvent {
  event: 'rows';
  service: string;
  result_id: string;
  columns: IColumn[];
  rows: Cell[][];
  total: number;
  truncated: boolean;
  elapsed_ms: number;
  /** All-VO search: rows new to the combined result, and products others gave first. */
  unique?: number;
  duplicates?: number;
}

/**
 * The events of the `POST data/search` NDJSON stream, in the order they happen.
 */
export type SearchEvent =
  | { event: 'started'; search_id: string; services: string[] }
  | {
      event: 'resolved';
      target: string;
      ra: number;
      dec: number;
      resolver: string;
    }
  | IRegistryEvent
  | { event: 'combined'; result_id: string | null; columns: IColumn[] }
  | IRowsEvent
  | ISummaryEvent
  | {
      event: 'error';
      service: string;
      code: string;
      message: string;
      /** What to do about it; never repeated in the message. */
      fix?: string;
      elapsed_ms: number;
    }
  | { event: 'done'; search_id: string; elapsed_ms: number };

/**
 * One page of a server-side result (`GET data/results/{id}`).
 */
export interface IResultPage {
  result_id: string;
  service: string;
  columns: IColumn[];
  rows: Cell[][];
  offset: number;
  limit: number;
  total: number;
}

/**
 * How to ask for one page of a result.
 */
export interface IPageQuery {
  offset: number;
  limit: number;
  sort?: string | null;
  order?: 'asc' | 'desc';
  filter?: string | null;
  /** Only this service's rows (the facet of a combined result). */
  service?: string | null;
}

/**
 * A table of a TAP service, from TAP_SCHEMA.
 */
export interface ITable {
  name: string;
  description: string;
  columns: Omit<IColumn, 'role'>[];
}

/**
 * The phases of an asynchronous (UWS) TAP job.
 */
export type JobPhase =
  'PENDING' | 'QUEUED' | 'EXECUTING' | 'COMPLETED' | 'ERROR' | 'ABORTED';

/**
 * An asynchronous TAP job, kept server-side across sessions (a job of kind
 * `query`, seen through `asQueryJob`).
 */
export interface IJob {
  id: string;
  service: string;
  query: string;
  phase: JobPhase;
  created: string;
  updated: string;
  job_url: string;
  result_id: string | null;
  error: string | null;
}

/** What a `query` job was asked. */
export interface IQueryParams {
  service: string;
  query: string;
  maxrec: number | null;
}

/** What a `query` job knows of its remote (UWS) job. */
export interface IQueryResult {
  phase: JobPhase;
  job_url: string;
  result_id: string | null;
  /** Why the last look at the service failed (it is tried again). */
  problem?: string | null;
}

/**
 * A job of kind `query` as the Data panel shows it: its UWS phase (an ended
 * job's from its state) and what went wrong, if anything.
 */
export function asQueryJob(job: IJobOf<IQueryParams, IQueryResult>): IJob {
  const ended: Partial<Record<JobState, JobPhase>> = {
    done: 'COMPLETED',
    error: 'ERROR',
    cancelled: 'ABORTED'
  };
  return {
    id: job.id,
    service: job.params.service,
    query: job.params.query,
    phase: ended[job.state] ?? job.result?.phase ?? 'QUEUED',
    created: job.created,
    updated: job.updated,
    job_url: job.result?.job_url ?? '',
    result_id: job.result?.result_id ?? null,
    error: job.error?.message ?? job.result?.problem ?? null
  };
}

/**
 * One past search of this user.
 */
export interface IHistoryEntry {
  id: string;
  created: string;
  request: Partial<ISearchRequest>;
  summary: Record<string, number | 'error'>;
}

/**
 * A service found in the IVOA registry.
 */
export interface IRegistryEntry {
  ivoid: string;
  title: string;
  description: string;
  type: string;
  url: string;
  waveband: string[];
}

/**
 * Whether a job may still change phase.
 */
export function isActivePhase(phase: JobPhase): boolean {
  return phase === 'PENDING' || phase === 'QUEUED' || phase === 'EXECUTING';
}

/**
 * A typed client of the data endpoints of the ESAP REST API.
 *
 * Every string it returns came from an archive: the views render them as
 * text only.
 */
export class DataAPI {
  constructor(serverSettings?: ServerConnection.ISettings) {
    this.serverSettings = serverSettings ?? ServerConnection.makeSettings();
    this.queries = new JobsAPI(this.serverSettings);
  }

  readonly serverSettings: ServerConnection.ISettings;

  async services(): Promise<IService[]> {
    const body = await this._get<{ services: IService[] }>('data/services');
    return body.services;
  }

  addService(entry: {
    name: string;
    type: string;
    url: string;
    title?: string;
    description?: string;
  }): Promise<IService> {
    return this._send<IService>('data/services', 'POST', entry);
  }

  async removeService(name: string): Promise<void> {
    await this._send<void>(
      `data/services/${encodeURIComponent(name)}`,
      'DELETE'
    );
  }

  async tables(service: string): Promise<ITable[]> {
    const body = await this._get<{ tables: ITable[] }>(
      `data/services/${encodeURIComponent(service)}/tables`
    );
    return body.tables;
  }

  page(resultId: string, query: IPageQuery): Promise<IResultPage> {
    const params: Record<string, string> = {
      offset: String(query.offset),
      limit: String(query.limit)
    };
    if (query.sort) {
      params.sort = query.sort;
      params.order = query.order ?? 'asc';
    }
    if (query.filter) {
      params.filter = query.filter;
    }
    if (query.service) {
      params.service = query.service;
    }
    return this._get<IResultPage>(
      `data/results/${encodeURIComponent(resultId)}${URLExt.objectToQueryString(params)}`
    );
  }

  adql(service: string, query: string, maxrec?: number): Promise<IRowsEvent> {
    return this._send<IRowsEvent>('data/adql', 'POST', {
      service,
      query,
      ...(maxrec ? { maxrec } : {})
    });
  }

  /** The user's asynchronous queries: jobs of kind `query` (see `jobs.ts`). */
  readonly queries: JobsAPI;

  async submitJob(
    service: string,
    query: string,
    maxrec?: number
  ): Promise<IJob> {
    return asQueryJob(
      await this.queries.start<IQueryParams, IQueryResult>('query', {
        service,
        query,
        ...(maxrec ? { maxrec } : {})
      })
    );
  }

  async job(id: string): Promise<IJob> {
    return asQueryJob(
      await this.queries.get<IQueryParams, IQueryResult>('query', id)
    );
  }

  /** Abort a job that runs; delete one that ended (and its remote job). */
  deleteJob(id: string): Promise<void> {
    return this.queries.remove('query', id);
  }

  async history(limit = 50): Promise<IHistoryEntry[]> {
    const body = await this._get<{ history: IHistoryEntry[] }>(
      `data/history${URLExt.objectToQueryString({ limit: String(limit) })}`
    );
    return body.history;
  }

  async registry(query: {
    keywords: string;
    servicetype: string;
    waveband: string;
  }): Promise<IRegistryEntry[]> {
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(query)) {
      if (value) {
        params[key] = value;
      }
    }
    const body = await this._get<{ services: IRegistryEntry[] }>(
      `data/registry${URLExt.objectToQueryString(params)}`
    );
    return body.services;
  }

  /**
   * Run a federated search, handing each NDJSON event to `onEvent` as soon
   * as its line arrives (the response is read incrementally, not buffered).
   *
   * @throws {EsapAPIError} When the server refuses the request (for example
   *   a 400 naming `target` when the name cannot be resolved) or the stream
   *   breaks.
   */
  search(
    request: ISearchRequest,
    onEvent: (event: SearchEvent) => void,
    signal?: AbortSignal
  ): Promise<void> {
    return streamAPI(
      'data/search',
      {
        method: 'POST',
        body: JSON.stringify(request),
        headers: { 'Content-Type': 'application/json' },
        signal
      },
      value => onEvent(value as SearchEvent),
      this.serverSettings
    );
  }

  private _get<T>(endPoint: string): Promise<T> {
    return requestAPI<T>(endPoint, { method: 'GET' }, this.serverSettings);
  }

  private _send<T>(
    endPoint: string,
    method: string,
    body?: unknown
  ): Promise<T> {
    return requestAPI<T>(
      endPoint,
      body === undefined
        ? { method }
        : {
            method,
            body: JSON.stringify(body),
            headers: { 'Content-Type': 'application/json' }
          },
      this.serverSettings
    );
  }
}
