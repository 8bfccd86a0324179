import { BasicMouseHandler, DataGrid, DataModel } from '@lumino/datagrid';

import { ThemedGrid } from '../grid/grid';
import { PagedModel } from '../grid/paged';
import { Cell, DataAPI, IColumn, IResultPage } from './api';
import { IResultSource } from './search';

/** Rows per request, as the contract's first page. */
export const PAGE_SIZE = 200;

/**
 * The server-side order and filter of a result view.
 */
export interface IResultQuery {
  sort: string | null;
  order: 'asc' | 'desc';
  filter: string;
  /** Only this service's rows (the facet of an all-VO search's combined result). */
  service?: string | null;
}

/**
 * A server-side result (`data/results/{id}`) as a grid model: pages are
 * fetched only for the rows the grid paints, with the pages around them
 * fetched ahead while it scrolls. Sorting and filtering happen server-side.
 */
export class PagedResultModel extends PagedModel<Cell[], IResultPage> {
  constructor(api: DataAPI, source: IResultSource) {
    super({
      pageSize: PAGE_SIZE,
      maxPages: 60,
      prefetch: { edge: PAGE_SIZE / 2, pages: 2, inflight: 4 }
    });
    this._api = api;
    this.resultId = source.resultId;
    this.columns = source.columns;
    this._unfilteredTotal = source.total;
    this.seed(source.firstRows, source.total);
  }

  readonly resultId: string;
  readonly columns: IColumn[];

  /** Rows of the whole result. */
  get unfilteredTotal(): number {
    return this._unfilteredTotal;
  }

  get query(): IResultQuery {
    return this._query;
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
   * Sort or filter server-side; the grid resets to the new order.
   */
  setQuery(query: Partial<IResultQuery>): Promise<void> {
    this._query = { ...this._query, ...query };
    return this.restart();
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

  protected fetchPage(offset: number, limit: number): Promise<IResultPage> {
    return this._api.page(this.resultId, {
      offset,
      limit,
      sort: this._query.sort,
      order: this._query.order,
      filter: this._query.filter || null,
      service: this._query.service ?? null
    });
  }

  protected accept(page: IResultPage): boolean {
    if (!this._query.filter && !this._query.service) {
      this._unfilteredTotal = page.total;
    }
    return false;
  }

  private _api: DataAPI;
  private _unfilteredTotal: number;
  private _query: IResultQuery = { sort: null, order: 'asc', filter: '' };
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

/**
 * The grid of one service's result: rows selectable, headers sort.
 */
export class ResultGrid extends ThemedGrid {
  constructor(model: PagedResultModel) {
    super(model, {
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
    this.mouseHandler = new SortingMouseHandler(model);
    this.copyConfig = { ...this.copyConfig, headers: 'column' };
  }
}
