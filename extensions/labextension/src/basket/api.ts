import { ServerConnection } from '@jupyterlab/services';

import { IJob, JobsAPI } from '../jobs';
import { requestAPI } from '../request';

/** The kinds of basket items, in the order the basket lists them. */
export const KINDS = ['data', 'service', 'software'] as const;
export type Kind = (typeof KINDS)[number];

/** What a basket listing shows of an item (`GET basket`). */
export interface IBasketSummary {
  id: string;
  kind: Kind;
  label: string;
  title: string;
  notes: string;
  group: string;
  added: string;
  service: string | null;
  access_url: string | null;
  format: string | null;
  size: number | null;
}

export interface IBasketPage {
  items: IBasketSummary[];
  total: number;
  offset: number;
  limit: number;
  counts: Record<Kind, number>;
  groups: string[];
}

/** An item to add: `kind` and the fields of its kind (see the basket contract). */
export type ItemInput = { kind: Kind } & Record<string, unknown>;

export interface IDownloadFile {
  item: string;
  name: string;
  state: 'pending' | 'running' | 'done' | 'error';
  size: number | null;
  done: number;
  error: string | null;
}

/**
 * A download: a job of kind `download` (see `jobs.ts`); its progress counts
 * bytes, its result says where each file is.
 */
export type IDownload = IJob<
  { ids: string[]; folder: string },
  { folder: string; files: IDownloadFile[] }
>;

export interface IPageQuery {
  offset: number;
  limit: number;
  kind?: Kind | null;
  q?: string | null;
}

/**
 * The basket's REST API (`/esap/api/v1/basket...`).
 */
export class BasketAPI {
  constructor(settings: ServerConnection.ISettings) {
    this._settings = settings;
  }

  page(query: IPageQuery): Promise<IBasketPage> {
    const params = new URLSearchParams({
      offset: String(query.offset),
      limit: String(query.limit)
    });
    if (query.kind) {
      params.set('kind', query.kind);
    }
    if (query.q) {
      params.set('q', query.q);
    }
    return requestAPI<IBasketPage>(
      `basket?${params.toString()}`,
      {},
      this._settings
    );
  }

  add(items: ItemInput[]): Promise<{ ids: string[]; total: number }> {
    return this._post('basket', { items });
  }

  update(
    id: string,
    changes: { title?: string; notes?: string; group?: string }
  ): Promise<IBasketSummary> {
    return requestAPI(
      `basket/items/${encodeURIComponent(id)}`,
      { method: 'PATCH', body: JSON.stringify(changes) },
      this._settings
    );
  }

  remove(ids: string[]): Promise<{ removed: number }> {
    return this._post('basket/remove', { ids });
  }

  clear(kind: Kind | null): Promise<void> {
    const query = kind ? `?kind=${kind}` : '';
    return requestAPI(`basket${query}`, { method: 'DELETE' }, this._settings);
  }

  cell(ids: string[], kind: Kind | null): Promise<{ code: string }> {
    return this._post('basket/cell', kind ? { ids, kind } : { ids });
  }

  startDownload(ids: string[] | null): Promise<IDownload> {
    return new JobsAPI(this._settings).start('download', { ids, folder: null });
  }

  private _post<T>(path: string, body: unknown): Promise<T> {
    return requestAPI<T>(
      path,
      { method: 'POST', body: JSON.stringify(body) },
      this._settings
    );
  }

  private _settings: ServerConnection.ISettings;
}
