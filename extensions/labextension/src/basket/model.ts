import { DataModel } from '@lumino/datagrid';
import { ISignal, Signal } from '@lumino/signaling';

import { BasketAPI, IBasketSummary, Kind } from './api';

/** Rows per request. */
export const PAGE_SIZE = 500;
/** Pages kept in memory (the rest are fetched again when shown). */
const MAX_PAGES = 40;

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
 * A Lumino `DataModel` over the server-side basket: only the pages of rows
 * the grid paints are fetched, so a 100k-item basket scrolls without ever
 * coming whole into the browser. The server orders items by kind, so the
 * grid shows them grouped by kind.
 */
export class BasketModel extends DataModel {
  constructor(api: BasketAPI) {
    super();
    this._api = api;
  }

  get total(): number {
    return this._total;
  }

  get counts(): Record<Kind, number> {
    return this._counts;
  }

  get kind(): Kind | null {
    return this._kind;
  }

  get text(): string {
    return this._text;
  }

  /** Emitted when the total or counts change, or a page fails. */
  get stateChanged(): ISignal<this, string | null> {
    return this._stateChanged;
  }

  /** Emitted when a page arrives. */
  get pageLoaded(): ISignal<this, number> {
    return this._pageLoaded;
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._total : 1;
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
    const item = this.item(row);
    if (!item) {
      return '';
    }
    const key = COLUMNS[column]?.key;
    const value = key ? item[key] : '';
    return value === null || value === undefined ? '' : value;
  }

  /** The item of a row when its page is here; otherwise fetch it and answer null. */
  item(row: number): IBasketSummary | null {
    const index = Math.floor(row / PAGE_SIZE);
    const page = this._pages.get(index);
    if (page) {
      this._pages.delete(index);
      this._pages.set(index, page);
      return page[row - index * PAGE_SIZE] ?? null;
    }
    this._fetch(index);
    return null;
  }

  /** Whether every row from `first` to `last` is loaded. */
  loaded(first: number, last: number): boolean {
    for (
      let index = Math.floor(first / PAGE_SIZE);
      index <= Math.floor(last / PAGE_SIZE);
      index++
    ) {
      if (!this._pages.has(index)) {
        return false;
      }
    }
    return true;
  }

  /** The items of these rows, fetching the pages that are not here. */
  async items(rows: number[]): Promise<IBasketSummary[]> {
    const found: IBasketSummary[] = [];
    for (const row of rows) {
      let item = this.item(row);
      if (!item) {
        await this._load(Math.floor(row / PAGE_SIZE), this._generation);
        item = this.item(row);
      }
      if (item) {
        found.push(item);
      }
    }
    return found;
  }

  /** Show one kind (or all) and rows matching `text`; reloads from the server. */
  async setFilter(kind: Kind | null, text: string): Promise<void> {
    this._kind = kind;
    this._text = text;
    await this.reload();
  }

  /**
   * Load the first page again (after a change, or when the panel is shown).
   * Until it is in, the rows already here stay on screen. When it is what
   * the grid already shows (same rows, total and counts, no other page
   * kept), the grid is not repainted: painting the canvas is the costly
   * part of showing the panel. Otherwise every other page is dropped and
   * the grid starts over from this one.
   */
  async reload(): Promise<void> {
    this._generation += 1;
    const generation = this._generation;
    this._inflight.clear();
    const shown = this._pages.get(0);
    const alone = this._pages.size <= 1;
    const before = JSON.stringify([this._total, this._counts, shown ?? null]);
    const loaded = await this._load(0, generation);
    if (generation !== this._generation) {
      return; // a newer reload took over
    }
    const fresh = this._pages.get(0);
    if (
      loaded &&
      alone &&
      shown !== undefined &&
      JSON.stringify([this._total, this._counts, fresh ?? null]) === before
    ) {
      return;
    }
    for (const index of [...this._pages.keys()]) {
      if (!loaded || index !== 0) {
        this._pages.delete(index);
      }
    }
    this.emitChanged({ type: 'model-reset' });
  }

  private _fetch(index: number): void {
    if (this._inflight.has(index)) {
      return;
    }
    const generation = this._generation;
    void this._load(index, generation).then(loaded => {
      if (loaded && generation === this._generation) {
        const first = index * PAGE_SIZE;
        this.emitChanged({
          type: 'cells-changed',
          region: 'body',
          row: first,
          column: 0,
          rowSpan: Math.max(0, Math.min(PAGE_SIZE, this._total - first)),
          columnSpan: COLUMNS.length
        });
      }
    });
  }

  private async _load(index: number, generation: number): Promise<boolean> {
    this._inflight.add(index);
    try {
      const page = await this._api.page({
        offset: index * PAGE_SIZE,
        limit: PAGE_SIZE,
        kind: this._kind,
        q: this._text || null
      });
      if (generation !== this._generation) {
        return false;
      }
      this._pages.set(index, page.items);
      while (this._pages.size > MAX_PAGES) {
        const oldest = this._pages.keys().next().value as number;
        this._pages.delete(oldest);
      }
      const changed =
        page.total !== this._total ||
        JSON.stringify(page.counts) !== JSON.stringify(this._counts);
      this._total = page.total;
      this._counts = page.counts;
      if (changed) {
        this.emitChanged({ type: 'model-reset' });
      }
      this._stateChanged.emit(null);
      this._pageLoaded.emit(index);
      return true;
    } catch (reason) {
      this._stateChanged.emit(String((reason as Error).message ?? reason));
      return false;
    } finally {
      this._inflight.delete(index);
    }
  }

  private _api: BasketAPI;
  private _total = 0;
  private _counts: Record<Kind, number> = { data: 0, service: 0, software: 0 };
  private _kind: Kind | null = null;
  private _text = '';
  private _pages = new Map<number, IBasketSummary[]>();
  private _inflight = new Set<number>();
  private _generation = 0;
  private _stateChanged = new Signal<this, string | null>(this);
  private _pageLoaded = new Signal<this, number>(this);
}
