import { DataModel } from '@lumino/datagrid';

import { PagedModel } from '../grid/paged';
import { BasketAPI, IBasketPage, IBasketSummary, Kind } from './api';

/** Rows per request. */
export const PAGE_SIZE = 500;

/** The columns the basket grid shows, in order. */
export const COLUMNS: { key: keyof IBasketSummary; title: string }[] = [
  { key: 'kind', title: 'Kind' },
  { key: 'label', title: 'Title' },
  { key: 'service', title: 'Service' },
  { key: 'access_url', title: 'Access URL' },
  { key: 'format', title: 'Format' },
  { key: 'size', title: 'Size' },
  { key: 'group', title: 'Group' },
  { key: 'notes', title: 'Notes' },
  { key: 'added', title: 'Added' }
];

/**
 * The server-side basket as a grid model: only the pages of items the grid
 * paints are fetched, so a 100k-item basket scrolls without ever coming
 * whole into the browser. The server orders items by kind, so the grid
 * shows them grouped by kind.
 */
export class BasketModel extends PagedModel<
  IBasketSummary,
  IBasketPage & { rows: IBasketSummary[] }
> {
  constructor(api: BasketAPI) {
    super({ pageSize: PAGE_SIZE, maxPages: 40 });
    this._api = api;
  }

  /** Items of each kind (whatever the filter). */
  get counts(): Record<Kind, number> {
    return this._counts;
  }

  /** The kind shown, or `null` for every kind. */
  get kind(): Kind | null {
    return this._kind;
  }

  /** The text the items shown match. */
  get text(): string {
    return this._text;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? COLUMNS.length : 1;
  }

  data(region: DataModel.CellRegion, row: number, column: number): unknown {
    if (region === 'row-header') {
      return row + 1;
    }
    if (region === 'corner-header') {
      return '#';
    }
    if (region === 'column-header') {
      return COLUMNS[column]?.title ?? '';
    }
    const item = this.row(row);
    if (!item) {
      return '';
    }
    const key = COLUMNS[column]?.key;
    const value = key ? item[key] : '';
    return value === null || value === undefined ? '' : value;
  }

  /** Show one kind (or all) and the items matching `text`; reloads from the server. */
  async setFilter(kind: Kind | null, text: string): Promise<void> {
    this._kind = kind;
    this._text = text;
    this.emitStateChanged();
    await this.refresh();
  }

  protected async fetchPage(
    offset: number,
    limit: number
  ): Promise<IBasketPage & { rows: IBasketSummary[] }> {
    const page = await this._api.page({
      offset,
      limit,
      kind: this._kind,
      q: this._text || null
    });
    return { ...page, rows: page.items };
  }

  protected accept(page: IBasketPage): boolean {
    const changed =
      JSON.stringify(page.counts) !== JSON.stringify(this._counts);
    this._counts = page.counts;
    return changed;
  }

  protected state(): unknown {
    return this._counts;
  }

  private _api: BasketAPI;
  private _counts: Record<Kind, number> = { data: 0, service: 0, software: 0 };
  private _kind: Kind | null = null;
  private _text = '';
}
