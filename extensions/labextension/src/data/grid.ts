import {
  BasicKeyHandler,
  BasicMouseHandler,
  BasicSelectionModel,
  DataGrid,
  DataModel,
  TextRenderer
} from '@lumino/datagrid';
import { ISignal, Signal } from '@lumino/signaling';

import { EsapAPIError } from '../request';
import { Cell, DataAPI, IColumn } from './api';
import { IResultSource } from './search';

/** Rows per request, as the contract's first page. */
export const PAGE_SIZE = 200;
/** Pages kept in memory per result (the rest are fetched again when shown). */
const MAX_PAGES = 60;
/**
 * A row this close to its page's edge has the pages beyond that edge
 * fetched ahead, so a grid scrolled on finds them already here.
 */
const PREFETCH_EDGE = PAGE_SIZE / 2;
/** Pages fetched ahead beyond the edge a row is near. */
const PREFETCH_PAGES = 2;
/**
 * Page requests in flight at most for prefetching: the browser sends a few
 * requests per server at once, and a page asked for by the painted rows
 * must not queue behind pages fetched ahead for rows scrolled past.
 */
const MAX_PREFETCH_INFLIGHT = 4;

/**
 * The server-side order and filter of a result view.
 */
export interface IResultQuery {
  sort: string | null;
  order: 'asc' | 'desc';
  filter: string;
}

/**
 * A Lumino `DataModel` over a server-side result: it knows the total row
 * count and fetches `data/results/{id}` pages only for the rows the grid
 * paints, keeping at most `MAX_PAGES` pages, so a million-row answer never
 * comes whole into the browser. Sorting and filtering happen server-side.
 */
export class PagedResultModel extends DataModel {
  constructor(api: DataAPI, source: IResultSource) {
    super();
    this._api = api;
    this.resultId = source.resultId;
    this.columns = source.columns;
    this._total = source.total;
    this._unfilteredTotal = source.total;
    if (source.firstRows.length > 0) {
      this._pages.set(0, source.firstRows);
    }
  }

  readonly resultId: string;
  readonly columns: IColumn[];

  /** Rows matching the current filter. */
  get total(): number {
    return this._total;
  }

  /** Rows of the whole result. */
  get unfilteredTotal(): number {
    return this._unfilteredTotal;
  }

  get query(): IResultQuery {
    return this._query;
  }

  /** The last paging failure, cleared by the next success. */
  get error(): EsapAPIError | null {
    return this._error;
  }

  /** Emitted when the total, the query or the error changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Emitted when a page arrives (for views that watch selected rows). */
  get pageLoaded(): ISignal<this, number> {
    return this._pageLoaded;
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._total : 1;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this.columns.length : 1;
  }

  data(region: DataModel.CellRegion, row: number, column: number): unknown {
    switch (region) {
      case 'row-header':
        return row + 1;
      case 'corner-header':
        return '#';
      case 'column-header': {
        const col = this.columns[column];
        if (!col) {
          return '';
        }
        const arrow =
          this._query.sort === col.name
            ? this._query.order === 'asc'
              ? ' ▲'
              : ' ▼'
            : '';
        return col.unit
          ? `${col.name} [${col.unit}]${arrow}`
          : `${col.name}${arrow}`;
      }
      default:
        return this.cell(row, column) ?? '';
    }
  }

  metadata(
    region: DataModel.CellRegion,
    _row: number,
    column: number
  ): DataModel.Metadata {
    if (region === 'body' || region === 'column-header') {
      const col = this.columns[column];
      return col ? { type: col.datatype, role: col.role ?? '' } : {};
    }
    return {};
  }

  /**
   * A cell value when its page is here; otherwise fetch the page and
   * answer `undefined` (the grid repaints when the page arrives).
   */
  cell(row: number, column: number): Cell | undefined {
    const values = this.row(row);
    return values ? values[column] : undefined;
  }

  /**
   * A whole row when its page is here; otherwise fetch it and answer `null`.
   */
  row(row: number): Cell[] | null {
    const index = Math.floor(row / PAGE_SIZE);
    this._prefetchAround(row, index);
    const page = this._pages.get(index);
    if (page) {
      // refresh its place in the LRU order
      this._pages.delete(index);
      this._pages.set(index, page);
      return page[row - index * PAGE_SIZE] ?? null;
    }
    this._fetch(index);
    return null;
  }

  /**
   * Fetch the neighbour pages beyond the edge `row` is near (the next ones
   * near the bottom of its page, the previous ones near the top), unless
   * they are here or on their way, or too many prefetches are in flight.
   */
  private _prefetchAround(row: number, index: number): void {
    const offset = row - index * PAGE_SIZE;
    const step =
      offset >= PAGE_SIZE - PREFETCH_EDGE ? 1 : offset < PREFETCH_EDGE ? -1 : 0;
    if (step === 0) {
      return;
    }
    const last = Math.ceil(this._total / PAGE_SIZE) - 1;
    for (let k = 1; k <= PREFETCH_PAGES; k++) {
      const next = index + k * step;
      if (next < 0 || next > last || this._pages.has(next)) {
        continue;
      }
      if (this._prefetching >= MAX_PREFETCH_INFLIGHT) {
        return;
      }
      if (!this._inflight.has(next)) {
        this._prefetching += 1;
        this._fetch(next, () => {
          this._prefetching -= 1;
        });
      }
    }
  }

  /**
   * Sort or filter server-side; the grid resets to the new order.
   */
  async setQuery(query: Partial<IResultQuery>): Promise<void> {
    this._query = { ...this._query, ...query };
    this._generation += 1;
    this._pages.clear();
    this._inflight.clear();
    this._stateChanged.emit();
    await this._load(0, this._generation);
    this.emitChanged({ type: 'model-reset' });
  }

  /**
   * Cycle a column's order: ascending, descending, then the service's order.
   */
  toggleSort(column: number): Promise<void> {
    const name = this.columns[column]?.name ?? null;
    if (name === null) {
      return Promise.resolve();
    }
    if (this._query.sort !== name) {
      return this.setQuery({ sort: name, order: 'asc' });
    }
    if (this._query.order === 'asc') {
      return this.setQuery({ order: 'desc' });
    }
    return this.setQuery({ sort: null, order: 'asc' });
  }

  private _fetch(index: number, settled?: () => void): void {
    if (this._inflight.has(index)) {
      return;
    }
    const generation = this._generation;
    void this._load(index, generation).then(loaded => {
      settled?.();
      if (loaded && generation === this._generation) {
        const first = index * PAGE_SIZE;
        this.emitChanged({
          type: 'cells-changed',
          region: 'body',
          row: first,
          column: 0,
          rowSpan: Math.max(0, Math.min(PAGE_SIZE, this._total - first)),
          columnSpan: this.columns.length
        });
        this._pageLoaded.emit(index);
      }
    });
  }

  private async _load(index: number, generation: number): Promise<boolean> {
    this._inflight.add(index);
    try {
      const page = await this._api.page(this.resultId, {
        offset: index * PAGE_SIZE,
        limit: PAGE_SIZE,
        sort: this._query.sort,
        order: this._query.order,
        filter: this._query.filter || null
      });
      if (generation !== this._generation) {
        return false;
      }
      this._pages.set(index, page.rows);
      while (this._pages.size > MAX_PAGES) {
        const oldest = this._pages.keys().next().value as number;
        this._pages.delete(oldest);
      }
      const changed = page.total !== this._total || this._error !== null;
      this._total = page.total;
      if (!this._query.filter) {
        this._unfilteredTotal = page.total;
      }
      this._error = null;
      if (changed) {
        this._stateChanged.emit();
      }
      return true;
    } catch (reason) {
      if (generation === this._generation) {
        this._error =
          reason instanceof EsapAPIError
            ? reason
            : new EsapAPIError({
                code: 'unexpected_error',
                message: String(reason),
                fix: 'Scroll again to retry.'
              });
        this._stateChanged.emit();
      }
      return false;
    } finally {
      if (generation === this._generation) {
        this._inflight.delete(index);
      }
    }
  }

  private _api: DataAPI;
  private _total: number;
  private _unfilteredTotal: number;
  private _query: IResultQuery = { sort: null, order: 'asc', filter: '' };
  private _pages = new Map<number, Cell[][]>();
  private _inflight = new Set<number>();
  private _prefetching = 0;
  private _generation = 0;
  private _error: EsapAPIError | null = null;
  private _stateChanged = new Signal<this, void>(this);
  private _pageLoaded = new Signal<this, number>(this);
}

/**
 * Mouse handling of the result grid: a click on a column header sorts by
 * that column (server-side); its edges still resize the column.
 */
class SortingMouseHandler extends BasicMouseHandler {
  constructor(model: PagedResultModel) {
    super();
    this._model = model;
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    const nearEdge = hit.x < 6 || hit.width - hit.x < 6;
    if (hit.region === 'column-header' && !nearEdge && event.button === 0) {
      void this._model.toggleSort(hit.column);
      return;
    }
    super.onMouseDown(grid, event);
  }

  private _model: PagedResultModel;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/**
 * The grid's colours and fonts, read from the current JupyterLab theme.
 */
function themeStyle(): {
  style: DataGrid.Style;
  text: TextRenderer;
  header: TextRenderer;
} {
  // read once: the grid asks for row colours on every paint
  const even = cssVar('--jp-layout-color0', '#fff');
  const odd = cssVar('--jp-layout-color1', '#fafafa');
  const style: DataGrid.Style = {
    ...DataGrid.defaultStyle,
    voidColor: cssVar('--jp-layout-color0', '#fff'),
    backgroundColor: cssVar('--jp-layout-color0', '#fff'),
    headerBackgroundColor: cssVar('--jp-layout-color2', '#eee'),
    gridLineColor: cssVar('--jp-border-color3', 'rgba(20, 20, 20, 0.15)'),
    headerGridLineColor: cssVar('--jp-border-color2', 'rgba(20, 20, 20, 0.25)'),
    rowBackgroundColor: i => (i % 2 === 0 ? even : odd),
    selectionFillColor: 'rgba(33, 150, 243, 0.18)',
    selectionBorderColor: cssVar('--jp-brand-color1', '#1976d2'),
    cursorBorderColor: cssVar('--jp-brand-color1', '#1976d2'),
    headerSelectionFillColor: 'rgba(33, 150, 243, 0.12)'
  };
  const font = `${cssVar('--jp-ui-font-size1', '13px')} ${cssVar('--jp-ui-font-family', 'sans-serif')}`;
  const color = cssVar('--jp-ui-font-color1', '#000');
  const text = new TextRenderer({
    font,
    textColor: color,
    // a value wider than its column ends in "…"; the record pane shows it whole
    elideDirection: 'right',
    // Numbers right-aligned, text left; values are drawn on the canvas as
    // text, so no markup from an archive is ever interpreted.
    horizontalAlignment: ({ metadata }) =>
      ['double', 'float', 'int', 'long', 'short'].includes(
        String(metadata.type)
      )
        ? 'right'
        : 'left',
    format: ({ value }) =>
      value === null || value === undefined ? '' : String(value)
  });
  const header = new TextRenderer({
    font: `600 ${font}`,
    textColor: color,
    format: ({ value }) => String(value ?? '')
  });
  return { style, text, header };
}

/**
 * A Lumino DataGrid over a `PagedResultModel`: virtualised (only visible
 * cells are painted), rows selectable, headers sort.
 */
export class ResultGrid extends DataGrid {
  /**
   * Repaint every open result grid in the current theme's colours (the
   * canvas cannot follow CSS variables by itself).
   */
  static refreshThemes(): void {
    const theme = themeStyle();
    for (const grid of ResultGrid._live) {
      grid.style = theme.style;
      grid.cellRenderers.update({
        body: theme.text,
        'column-header': theme.header,
        'row-header': theme.text,
        'corner-header': theme.header
      });
    }
  }

  private static _live = new Set<ResultGrid>();

  dispose(): void {
    ResultGrid._live.delete(this);
    super.dispose();
  }

  constructor(model: PagedResultModel) {
    const theme = themeStyle();
    super({
      style: theme.style,
      defaultSizes: {
        rowHeight: 24,
        columnWidth: 140,
        rowHeaderWidth: 64,
        columnHeaderHeight: 28
      },
      minimumSizes: {
        rowHeight: 20,
        columnWidth: 40,
        rowHeaderWidth: 40,
        columnHeaderHeight: 24
      }
    });
    this.addClass('esap-ResultGrid');
    this.dataModel = model;
    this.selectionModel = new BasicSelectionModel({
      dataModel: model,
      selectionMode: 'row'
    });
    this.keyHandler = new BasicKeyHandler();
    this.mouseHandler = new SortingMouseHandler(model);
    this.cellRenderers.update({
      body: theme.text,
      'column-header': theme.header,
      'row-header': theme.text,
      'corner-header': theme.header
    });
    this.copyConfig = { ...this.copyConfig, headers: 'column' };
    ResultGrid._live.add(this);
  }

  /**
   * The body rows the user selected, in ascending order.
   */
  selectedRows(): number[] {
    const rows = new Set<number>();
    const selection = this.selectionModel;
    if (!selection) {
      return [];
    }
    for (const range of selection.selections()) {
      const first = Math.max(0, Math.min(range.r1, range.r2));
      const last = Math.max(range.r1, range.r2);
      for (let r = first; r <= last && rows.size < 100_000; r++) {
        rows.add(r);
      }
    }
    return [...rows].sort((a, b) => a - b);
  }
}
