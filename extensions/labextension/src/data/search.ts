import { ISignal, Signal } from '@lumino/signaling';

import { EsapAPIError } from '../request';
import {
  DataAPI,
  IColumn,
  IRegistryEvent,
  IRowsEvent,
  ISearchRequest,
  ISummaryEvent,
  SearchEvent
} from './api';

/**
 * Where one service stands in a search.
 */
export type ServiceStatus =
  | { readonly state: 'waiting' }
  | {
      readonly state: 'rows';
      readonly total: number;
      readonly truncated: boolean;
      readonly elapsedMs: number;
      /** All-VO search: rows new to the combined result. */
      readonly unique?: number;
    }
  | {
      readonly state: 'error';
      readonly code: string;
      readonly message: string;
      readonly fix: string;
      readonly elapsedMs: number;
    };

/**
 * A result a view can page through: its id, columns and size.
 */
export interface IResultSource {
  service: string;
  resultId: string;
  columns: IColumn[];
  total: number;
  truncated: boolean;
  /** The first rows, already sent with the event (no second request for them). */
  firstRows: IRowsEvent['rows'];
}

/**
 * One federated search as it runs: the request, each service's status and
 * the results that arrived, fed by the NDJSON events in order.
 */
export class SearchRun {
  constructor(request: ISearchRequest) {
    this.request = request;
  }

  readonly request: ISearchRequest;

  /** Set by the `started` event. */
  get searchId(): string | null {
    return this._searchId;
  }

  /** The services of the search, in the order the server named them. */
  get services(): readonly string[] {
    return this._services;
  }

  status(service: string): ServiceStatus {
    return this._statuses.get(service) ?? { state: 'waiting' };
  }

  /** Results in the order they arrived. */
  get results(): readonly IResultSource[] {
    return this._results;
  }

  /** All-VO search: where the services came from (its `registry` event). */
  get registry(): IRegistryEvent | null {
    return this._registry;
  }

  /** All-VO search: the combined result, growing as services answer. */
  get combined(): IResultSource | null {
    return this._combined;
  }

  /** All-VO search: every service ranked, once the last one answered. */
  get summary(): ISummaryEvent | null {
    return this._summary;
  }

  /** The resolved target position, when a name was given. */
  get resolved(): {
    target: string;
    ra: number;
    dec: number;
    resolver: string;
  } | null {
    return this._resolved;
  }

  get phase(): 'running' | 'done' | 'failed' {
    return this._phase;
  }

  /** Why the whole search failed (refused, or the stream broke). */
  get error(): EsapAPIError | null {
    return this._error;
  }

  /** Emitted on every event. */
  get changed(): ISignal<this, SearchEvent | null> {
    return this._changed;
  }

  /** Emitted once per service result, as it arrives. */
  get resultAdded(): ISignal<this, IResultSource> {
    return this._resultAdded;
  }

  /**
   * Run the search through `api`; resolves when the stream ends.
   */
  async run(api: DataAPI, signal?: AbortSignal): Promise<void> {
    try {
      await api.search(this.request, event => this.handle(event), signal);
      if (this._phase === 'running') {
        this._phase = 'done';
        this._changed.emit(null);
      }
    } catch (reason) {
      this.fail(
        EsapAPIError.from(
          reason,
          'Search again; if it keeps failing, ask your hub admin.'
        )
      );
    }
  }

  /**
   * Apply one event of the stream.
   */
  handle(event: SearchEvent): void {
    switch (event.event) {
      case 'started':
        this._searchId = event.search_id;
        this._services = [...event.services];
        break;
      case 'resolved':
        this._resolved = {
          target: event.target,
          ra: event.ra,
          dec: event.dec,
          resolver: event.resolver
        };
        break;
      case 'rows': {
        this._statuses.set(event.service, {
          state: 'rows',
          total: event.total,
          truncated: event.truncated,
          elapsedMs: event.elapsed_ms,
          unique: event.unique
        });
        const source: IResultSource = {
          service: event.service,
          resultId: event.result_id,
          columns: event.columns,
          total: event.total,
          truncated: event.truncated,
          firstRows: event.rows
        };
        this._results.push(source);
        this._resultAdded.emit(source);
        break;
      }
      case 'error':
        this._statuses.set(event.service, {
          state: 'error',
          code: event.code,
          message: event.message,
          fix: event.fix ?? '',
          elapsedMs: event.elapsed_ms
        });
        break;
      case 'registry':
        this._registry = event;
        break;
      case 'combined':
        if (event.result_id !== null) {
          this._combined = {
            service: 'all services',
            resultId: event.result_id,
            columns: event.columns,
            total: 0,
            truncated: false,
            firstRows: []
          };
        }
        break;
      case 'summary':
        this._summary = event;
        break;
      case 'done':
        this._phase = 'done';
        break;
      default:
        // An event this panel does not know yet: ignore it, keep streaming.
        return;
    }
    this._changed.emit(event);
  }

  private fail(error: EsapAPIError): void {
    this._phase = 'failed';
    this._error = error;
    this._changed.emit(null);
  }

  private _searchId: string | null = null;
  private _services: string[] = [];
  private _statuses = new Map<string, ServiceStatus>();
  private _results: IResultSource[] = [];
  private _resolved: SearchRun['resolved'] = null;
  private _registry: IRegistryEvent | null = null;
  private _combined: IResultSource | null = null;
  private _summary: ISummaryEvent | null = null;
  private _phase: 'running' | 'done' | 'failed' = 'running';
  private _error: EsapAPIError | null = null;
  private _changed = new Signal<this, SearchEvent | null>(this);
  private _resultAdded = new Signal<this, IResultSource>(this);
}
