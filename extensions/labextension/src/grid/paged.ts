import { DataModel } from '@lumino/datagrid';
import { ISignal, Signal } from '@lumino/signaling';

import { EsapAPIError } from '../request';

/**
 * One page of rows from the server, and how many rows there are in all.
 */
export interface IPage<Row> {
  rows: Row[];
  total: number;
}

/**
 * A Lumino `DataModel` over rows that stay on the server (a search result,
 * the basket): it knows the total and fetches pages only for the rows the
 * grid paints, keeping the most recently used `maxPages`, so a million-row
 * answer never comes whole into the browser.
 *
 * A subclass says how to fetch a page (`fetchPage`) and what its columns
 * are (`columnCount`, `data`); a change of query calls `restart` (drop the
 * rows now) or `refresh` (keep them on screen until the fresh first page
 * is in).
 */
export abstract class PagedModel<
  Row,
  Page extends IPage<Row> = IPage<Row>
> extends DataModel {
  constructor(options: PagedModel.IOptions) {
    super();
    this.pageSize = options.pageSize;
    this._maxPages = options.maxPages;
    this._prefetch = options.prefetch ?? null;
  }

  /** Rows per request. */
  readonly pageSize: number;

  /** Rows in all (matching the current query). */
  get total(): number {
    return this._total;
  }

  /** The last paging failure, cleared by the next success. */
  get error(): EsapAPIError | null {
    return this._error;
  }

  /** Emitted when the total, the error or the subclass's own state changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Emitted with its index when a page arrives (for views that watch rows). */
  get pageLoaded(): ISignal<this, number> {
    return this._pageLoaded;
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._total : 1;
  }

  /**
   * A row when its page is here; otherwise fetch the page and answer
   * `null` (the grid repaints when the page arrives).
   */
  row(index: number): Row | null {
    const number = Math.floor(index / this.pageSize);
    this._prefetchAround(index, number);
    const page = this._pages.get(number);
    if (page) {
      // refresh its place in the LRU order
      this._pages.delete(number);
      this._pages.set(number, page);
      return page[index - number * this.pageSize] ?? null;
    }
    this._fetch(number);
    return null;
  }

  /** Whether every row from `first` to `last` is here. */
  loaded(first: number, last: number): boolean {
    const end = Math.floor(last / this.pageSize);
    for (let page = Math.floor(first / this.pageSize); page <= end; page++) {
      if (!this._pages.has(page)) {
        return false;
      }
    }
    return true;
  }

  /** These rows, fetching the pages that are not here (rows that fail are left out). */
  async rows(indices: number[]): Promise<Row[]> {
    const found: Row[] = [];
    for (const index of indices) {
      let row = this.row(index);
      if (row === null) {
        // row() has sent for its page: wait for that answer
        const number = Math.floor(index / this.pageSize);
        await (this._inflight.get(number) ??
          this._load(number, this._generation));
        row = this.row(index);
      }
      if (row !== null) {
        found.push(row);
      }
    }
    return found;
  }

  /**
   * Load the first page again (after a change on the server, or when the
   * view is shown). Until it is in, the rows already here stay on screen.
   * When it is what the grid already shows (same rows, total and state, no
   * other page kept), the grid is not repainted: painting the canvas is the
   * costly part of showing a view. Otherwise every other page is dropped
   * and the grid starts over from this one.
   */
  async refresh(): Promise<void> {
    const generation = this._nextGeneration();
    const shown = this._pages.get(0);
    const alone = this._pages.size <= 1;
    const before = JSON.stringify([this._total, this.state(), shown ?? null]);
    const loaded = await this._load(0, generation);
    if (generation !== this._generation) {
      return; // a newer load took over
    }
    const fresh = this._pages.get(0);
    const after = JSON.stringify([this._total, this.state(), fresh ?? null]);
    if (loaded && alone && shown !== undefined && after === before) {
      return;
    }
    for (const page of [...this._pages.keys()]) {
      if (!loaded || page !== 0) {
        this._pages.delete(page);
      }
    }
    this.emitChanged({ type: 'model-reset' });
  }

  /**
   * Drop every row now and load the first page of a new query (a new
   * order or filter); the grid starts over.
   */
  protected async restart(): Promise<void> {
    this._nextGeneration();
    this._pages.clear();
    this.emitStateChanged();
    await this._load(0, this._generation);
    this.emitChanged({ type: 'model-reset' });
  }

  /** Tell the views that the subclass's own state changed (its query, …). */
  protected emitStateChanged(): void {
    this._stateChanged.emit();
  }

  /** Rows the grid already has (the first page a search streamed). */
  protected seed(rows: Row[], total: number): void {
    this._total = total;
    if (rows.length > 0) {
      this._pages.set(0, rows);
    }
  }

  /** Fetch the rows from `offset` on, at most `limit` of them. */
  protected abstract fetchPage(offset: number, limit: number): Promise<Page>;

  /**
   * Take what else a page says (counts by kind, …); `true` when that changed.
   */
  protected accept(_page: Page): boolean {
    return false;
  }

  /** The subclass's own state, compared by `refresh` (JSON-serialisable). */
  protected state(): unknown {
    return null;
  }

  private _nextGeneration(): number {
    this._generation += 1;
    this._inflight.clear();
    this._prefetching = 0;
    return this._generation;
  }

  /**
   * Fetch the neighbour pages beyond the edge `index` is near (the next
   * ones near the bottom of its page, the previous ones near the top),
   * unless they are here or on their way, or too many prefetches are in
   * flight: a page the painted rows ask for must not queue behind pages
   * fetched ahead for rows scrolled past.
   */
  private _prefetchAround(index: number, number: number): void {
    const prefetch = this._prefetch;
    if (!prefetch) {
      return;
    }
    const offset = index - number * this.pageSize;
    const edge = prefetch.edge;
    const step = offset >= this.pageSize - edge ? 1 : offset < edge ? -1 : 0;
    if (step === 0) {
      return;
    }
    const last = Math.ceil(this._total / this.pageSize) - 1;
    for (let k = 1; k <= prefetch.pages; k++) {
      const next = number + k * step;
      if (next < 0 || next > last || this._pages.has(next)) {
        continue;
      }
      if (this._prefetching >= prefetch.inflight) {
        return;
      }
      if (!this._inflight.has(next)) {
        this._prefetching += 1;
        const generation = this._generation;
        this._fetch(next, () => {
          if (generation === this._generation) {
            this._prefetching -= 1;
          }
        });
      }
    }
  }

  private _fetch(number: number, settled?: () => void): void {
    if (this._inflight.has(number)) {
      return;
    }
    const generation = this._generation;
    void this._load(number, generation).then(loaded => {
      settled?.();
      if (loaded && generation === this._generation) {
        const first = number * this.pageSize;
        this.emitChanged({
          type: 'cells-changed',
          region: 'body',
          row: first,
          column: 0,
          rowSpan: Math.max(0, Math.min(this.pageSize, this._total - first)),
          columnSpan: this.columnCount('body')
        });
      }
    });
  }

  private _load(number: number, generation: number): Promise<boolean> {
    const loading = this._loadPage(number, generation);
    this._inflight.set(number, loading);
    return loading;
  }

  private async _loadPage(
    number: number,
    generation: number
  ): Promise<boolean> {
    try {
      const page = await this.fetchPage(number * this.pageSize, this.pageSize);
      if (generation !== this._generation) {
        return false;
      }
      this._pages.set(number, page.rows);
      while (this._pages.size > this._maxPages) {
        const oldest = this._pages.keys().next().value as number;
        this._pages.delete(oldest);
      }
      const resized = page.total !== this._total;
      const changed = this.accept(page);
      const recovered = this._error !== null;
      this._total = page.total;
      this._error = null;
      if (resized || changed) {
        this.emitChanged({ type: 'model-reset' });
      }
      if (resized || changed || recovered) {
        this._stateChanged.emit();
      }
      this._pageLoaded.emit(number);
      return true;
    } catch (reason) {
      if (generation === this._generation) {
        this._error = EsapAPIError.from(reason, 'Scroll again to retry.');
        this._stateChanged.emit();
      }
      return false;
    } finally {
      if (generation === this._generation) {
        this._inflight.delete(number);
      }
    }
  }

  private _maxPages: number;
  private _prefetch: PagedModel.IPrefetch | null;
  private _total = 0;
  private _error: EsapAPIError | null = null;
  private _pages = new Map<number, Row[]>();
  /** The pages on their way, each with the promise of its load. */
  private _inflight = new Map<number, Promise<boolean>>();
  private _prefetching = 0;
  private _generation = 0;
  private _stateChanged = new Signal<this, void>(this);
  private _pageLoaded = new Signal<this, number>(this);
}

export namespace PagedModel {
  export interface IOptions {
    /** Rows per request. */
    pageSize: number;
    /** Pages kept in memory (the rest are fetched again when shown). */
    maxPages: number;
    /** Fetch pages ahead of a scrolling grid; none when absent. */
    prefetch?: IPrefetch;
  }

  export interface IPrefetch {
    /** A row this close to its page's edge has the pages beyond fetched. */
    edge: number;
    /** Pages fetched ahead beyond that edge. */
    pages: number;
    /** Prefetches in flight at most (the browser sends a few at once). */
    inflight: number;
  }
}
