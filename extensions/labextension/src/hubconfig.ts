import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { EsapAPIError, requestAPI } from './request';

/**
 * The kinds of things a hub offers, as named in `esap.yaml`.
 */
export type OfferingKind = 'data_service' | 'software_catalogue' | 'archive';

/**
 * One data service, software catalogue or archive the hub offers.
 */
export interface IOffering {
  /** The key of the entry in `esap.yaml`. */
  name: string;
  /** Human title; `null` when the admin gave none. */
  title: string | null;
  /** The adapter type, e.g. `tap` or `zenodo`. */
  type: string;
  description: string;
  /** Archives carry no `enabled` flag: they are always offered. */
  enabled: boolean;
  /** Only data services carry a URL. */
  url: string | null;
}

/**
 * One problem of a configuration file: its key path, what is wrong, the fix.
 */
export interface IConfigProblem {
  field: string;
  message: string;
  fix: string;
}

/**
 * A user file the server set aside for its problems: the panels run on the
 * default configuration meanwhile.
 */
export interface IConfigWarning {
  code: string;
  /** The path of the file set aside. */
  file: string;
  message: string;
  fix: string;
  problems: IConfigProblem[];
}

/**
 * The public part of the hub configuration, as answered by `GET config`.
 */
export interface IHubConfig {
  title: string | null;
  version: string;
  data_services: IOffering[];
  software_catalogues: IOffering[];
  archives: IOffering[];
  dask: { enabled: boolean };
  /** Where it comes from: `hub`, `file:<path>` or `default`; `null` when not said. */
  source: string | null;
  warnings: IConfigWarning[];
}

function asString(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function asOfferings(value: unknown): IOffering[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const offerings: IOffering[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) {
      continue;
    }
    const entry = item as Record<string, unknown>;
    const name = asString(entry.name);
    if (!name) {
      continue;
    }
    offerings.push({
      name,
      title:
        typeof entry.title === 'string' && entry.title ? entry.title : null,
      type: asString(entry.type),
      description: asString(entry.description),
      enabled: entry.enabled !== false,
      url: typeof entry.url === 'string' && entry.url ? entry.url : null
    });
  }
  return offerings;
}

function asRecords(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? (value as unknown[]).filter(
        (item): item is Record<string, unknown> =>
          typeof item === 'object' && item !== null
      )
    : [];
}

function asWarnings(value: unknown): IConfigWarning[] {
  return asRecords(value).map(warning => ({
    code: asString(warning.code),
    file: asString(warning.file),
    message: asString(warning.message),
    fix: asString(warning.fix),
    problems: asRecords(warning.problems).map(problem => ({
      field: asString(problem.field),
      message: asString(problem.message),
      fix: asString(problem.fix)
    }))
  }));
}

/**
 * Read a `GET config` answer defensively: unknown fields are ignored and
 * missing lists become empty, so a newer or older server still renders.
 */
export function parseHubConfig(raw: unknown): IHubConfig {
  const data =
    typeof raw === 'object' && raw !== null
      ? (raw as Record<string, unknown>)
      : {};
  const dask =
    typeof data.dask === 'object' && data.dask !== null
      ? (data.dask as Record<string, unknown>)
      : {};
  return {
    title: typeof data.title === 'string' && data.title ? data.title : null,
    version: asString(data.version),
    data_services: asOfferings(data.data_services),
    software_catalogues: asOfferings(data.software_catalogues),
    archives: asOfferings(data.archives),
    dask: { enabled: dask.enabled === true },
    source: typeof data.source === 'string' && data.source ? data.source : null,
    warnings: asWarnings(data.warnings)
  };
}

/**
 * Where the hub configuration stands in the lab.
 */
export type HubConfigState =
  | { readonly status: 'idle' }
  | { readonly status: 'loading'; readonly previous: IHubConfig | null }
  | { readonly status: 'ready'; readonly config: IHubConfig }
  | { readonly status: 'error'; readonly error: EsapAPIError };

/**
 * Holds what the hub offers, loaded from the ESAP REST API.
 */
export class HubConfigModel {
  /**
   * @param serverSettings How to reach the Jupyter server; defaults to the page's.
   */
  constructor(serverSettings?: ServerConnection.ISettings) {
    this._serverSettings = serverSettings ?? ServerConnection.makeSettings();
  }

  /**
   * The current state.
   */
  get state(): HubConfigState {
    return this._state;
  }

  /**
   * Emitted whenever the state changes.
   */
  get stateChanged(): ISignal<this, HubConfigState> {
    return this._stateChanged;
  }

  /**
   * Load the configuration once; later calls are no-ops.
   */
  ensureLoaded(): Promise<void> {
    if (this._state.status === 'idle') {
      return this.refresh();
    }
    return this._pending ?? Promise.resolve();
  }

  /**
   * (Re)load the configuration from the server. Concurrent calls share
   * one request.
   */
  refresh(): Promise<void> {
    if (this._pending) {
      return this._pending;
    }
    const previous = this._state.status === 'ready' ? this._state.config : null;
    this._setState({ status: 'loading', previous });
    this._pending = requestAPI<unknown>(
      'config',
      { method: 'GET' },
      this._serverSettings
    )
      .then(
        raw => {
          this._setState({ status: 'ready', config: parseHubConfig(raw) });
        },
        (reason: unknown) => {
          const error = EsapAPIError.from(
            reason,
            'Reload the page; if it keeps failing, ask your hub admin.'
          );
          this._setState({ status: 'error', error });
        }
      )
      .finally(() => {
        this._pending = null;
      });
    return this._pending;
  }

  private _setState(state: HubConfigState): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  private _serverSettings: ServerConnection.ISettings;
  private _state: HubConfigState = { status: 'idle' };
  private _pending: Promise<void> | null = null;
  private _stateChanged = new Signal<this, HubConfigState>(this);
}
