import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  BasicKeyHandler,
  BasicMouseHandler,
  BasicSelectionModel,
  DataGrid,
  TextRenderer
} from '@lumino/datagrid';
import { BoxLayout, Widget } from '@lumino/widgets';

import { BasketAPI, IBasketSummary, IDownload, Kind, KINDS } from './api';
import { BasketModel, COLUMNS } from './model';

const ROW_HEIGHT = 24;

function css(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text; // text only: nothing from an archive is parsed as HTML
  }
  return node;
}

function bytes(value: number | null): string {
  if (value === null) {
    return '?';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let size = value;
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${size.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

/**
 * The basket grid: a virtualised Lumino DataGrid (only visible cells are
 * painted, as text on a canvas) with row selection.
 */
class BasketGrid extends DataGrid {
  constructor(model: BasketModel) {
    super({
      defaultSizes: {
        rowHeight: ROW_HEIGHT,
        columnWidth: 130,
        rowHeaderWidth: 56,
        columnHeaderHeight: 26
      },
      style: {
        ...DataGrid.defaultStyle,
        voidColor: css('--jp-layout-color0', '#fff'),
        backgroundColor: css('--jp-layout-color0', '#fff'),
        headerBackgroundColor: css('--jp-layout-color2', '#eee'),
        gridLineColor: css('--jp-border-color3', 'rgba(20,20,20,0.15)'),
        selectionFillColor: 'rgba(33, 150, 243, 0.18)'
      }
    });
    this.addClass('esap-BasketGrid');
    this.dataModel = model;
    this.selectionModel = new BasicSelectionModel({
      dataModel: model,
      selectionMode: 'row'
    });
    this.keyHandler = new BasicKeyHandler();
    this.mouseHandler = new BasicMouseHandler();
    const font = `${css('--jp-ui-font-size1', '13px')} ${css('--jp-ui-font-family', 'sans-serif')}`;
    const text = new TextRenderer({
      font,
      textColor: css('--jp-ui-font-color1', '#000'),
      format: ({ value }) =>
        value === null || value === undefined ? '' : String(value)
    });
    this.cellRenderers.update({
      body: text,
      'row-header': text,
      'column-header': new TextRenderer({ font: `600 ${font}` }),
      'corner-header': text
    });
  }

  /** The selected body rows, ascending. */
  selectedRows(): number[] {
    const rows = new Set<number>();
    for (const range of this.selectionModel?.selections() ?? []) {
      const last = Math.max(range.r1, range.r2);
      for (let r = Math.max(0, Math.min(range.r1, range.r2)); r <= last; r++) {
        rows.add(r);
      }
    }
    return [...rows].sort((a, b) => a - b);
  }

  /** First and last body rows in view. */
  visibleRows(): [number, number] {
    const first = Math.floor(this.scrollY / ROW_HEIGHT);
    const shown = Math.ceil(this.pageHeight / ROW_HEIGHT);
    return [first, Math.max(first, first + shown - 1)];
  }

  protected onAfterShow(msg: import('@lumino/messaging').Message): void {
    super.onAfterShow(msg);
    this.repaintContent();
  }
}

export namespace BasketPanel {
  export interface IOptions {
    api: BasketAPI;
    trans: TranslationBundle;
    /** Put this code in a notebook cell (Open in notebook). */
    insertCode: (code: string) => Promise<unknown>;
    /** Send the chosen items to a desktop tool over SAMP; answers a status line. */
    sendToDesktop?: (ids: string[]) => Promise<string>;
  }
}

/**
 * The Basket panel: everything the user collected, grouped by kind, with
 * remove, clear, rename, notes, Open in notebook and Download.
 */
export class BasketPanel extends Widget {
  constructor(options: BasketPanel.IOptions) {
    super();
    this.id = 'esap-basket';
    this.addClass('esap-BasketPanel');
    this.title.caption = options.trans.__('ESAP basket');
    this._api = options.api;
    this._trans = options.trans;
    this._insertCode = options.insertCode;
    this._sendToDesktop = options.sendToDesktop ?? null;
    this.model = new BasketModel(options.api);
    this._grid = new BasketGrid(this.model);

    const layout = new BoxLayout({ direction: 'top-to-bottom', spacing: 2 });
    this.layout = layout;
    const header = new Widget({ node: this._header() });
    const editor = new Widget({ node: this._editor() });
    const footer = new Widget({ node: this._footer() });
    // the DOM parts have no size hint of their own: give them a basis, the grid the rest
    const basis = new Map<Widget, number>([
      [header, 150],
      [editor, 190],
      [footer, 48]
    ]);
    for (const widget of [header, this._grid, editor, footer]) {
      layout.addWidget(widget);
      BoxLayout.setStretch(widget, widget === this._grid ? 1 : 0);
      BoxLayout.setSizeBasis(widget, basis.get(widget) ?? 200);
    }
    editor.hide();
    this._editorWidget = editor;
    this.model.stateChanged.connect((_, error) => this._update(error));
    this.model.pageLoaded.connect(() => this._track());
    this._grid.viewport.node.addEventListener('wheel', () =>
      requestAnimationFrame(() => this._track())
    );
    this._grid.selectionModel?.changed.connect(() => this._selected());
    this.model.changed.connect(() =>
      requestAnimationFrame(() => this._track())
    );
  }

  readonly model: BasketModel;

  /**
   * Reload the basket from the server. Until the fresh first page is in, the
   * panel is marked not ready (`data-esap-ready`); each finished reload counts
   * up `data-esap-loads`, so a test or benchmark never mistakes the rows of an
   * earlier load for this one.
   */
  async refresh(): Promise<void> {
    this.node.dataset.esapReady = 'false';
    await this.model.reload();
    this._loads += 1;
    this.node.dataset.esapLoads = String(this._loads);
    this._track();
  }

  protected onAfterAttach(): void {
    void this.refresh();
  }

  /** Notebooks and the CLI change the basket too: reload whenever it is shown. */
  protected onAfterShow(): void {
    void this.refresh();
  }

  private _header(): HTMLElement {
    const node = element('div', 'esap-BasketPanel-header');
    node.appendChild(
      element('h2', 'esap-BasketPanel-title', this._trans.__('Basket'))
    );
    const kinds = element('div', 'esap-BasketPanel-kinds');
    for (const kind of [null, ...KINDS] as (Kind | null)[]) {
      const button = element('button', 'jp-Button esap-BasketPanel-kind');
      button.dataset.kind = kind ?? 'all';
      button.onclick = () => void this.model.setFilter(kind, this.model.text);
      this._kindButtons.set(kind ?? 'all', button);
      kinds.appendChild(button);
    }
    node.appendChild(kinds);
    const search = element('input', 'jp-mod-styled esap-BasketPanel-search');
    search.type = 'search';
    search.placeholder = this._trans.__('Filter by title, service, notes, URL');
    let timer = 0;
    search.oninput = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(
        () => void this.model.setFilter(this.model.kind, search.value),
        250
      );
    };
    node.appendChild(search);
    const actions = element('div', 'esap-BasketPanel-actions');
    const add = (label: string, action: string, run: () => Promise<void>) => {
      const button = element(
        'button',
        'jp-Button jp-mod-styled jp-mod-reject',
        label
      );
      button.dataset.action = action;
      button.onclick = () =>
        void run().catch(reason =>
          this._status(String(reason.message ?? reason), true)
        );
      actions.appendChild(button);
    };
    add(this._trans.__('Open in notebook'), 'open', () => this._open());
    add(this._trans.__('Download'), 'download', () => this._download());
    const send = this._sendToDesktop;
    if (send) {
      add(this._trans.__('Send to desktop tool'), 'samp', async () => {
        const chosen = await this._selection();
        this._status(await send(chosen.map(item => item.id)));
      });
    }
    add(this._trans.__('Remove'), 'remove', () => this._remove());
    add(this._trans.__('Clear'), 'clear', () => this._clear());
    add(this._trans.__('Refresh'), 'refresh', () => this.refresh());
    node.appendChild(actions);
    return node;
  }

  private _editor(): HTMLElement {
    const node = element('div', 'esap-BasketPanel-editor');
    this._titleInput.className = 'jp-mod-styled esap-BasketPanel-rename';
    this._titleInput.placeholder = this._trans.__('Title');
    this._groupInput.className = 'jp-mod-styled esap-BasketPanel-group';
    this._groupInput.placeholder = this._trans.__('Group');
    this._notesInput.className = 'jp-mod-styled esap-BasketPanel-notes';
    this._notesInput.placeholder = this._trans.__('Notes');
    this._notesInput.rows = 2;
    const save = element(
      'button',
      'jp-Button jp-mod-styled jp-mod-accept',
      this._trans.__('Save')
    );
    save.dataset.action = 'save';
    save.onclick = () => void this._save();
    node.append(
      this._detail,
      this._titleInput,
      this._groupInput,
      this._notesInput,
      save
    );
    return node;
  }

  private _footer(): HTMLElement {
    const node = element('div', 'esap-BasketPanel-footer');
    this._progress.className = 'esap-BasketPanel-progress';
    this._progress.hidden = true;
    this._statusNode.className = 'esap-BasketPanel-status';
    node.append(this._progress, this._statusNode);
    return node;
  }

  private _update(error: string | null): void {
    const counts = this.model.counts;
    const total = KINDS.reduce((sum, kind) => sum + counts[kind], 0);
    const names: Record<string, string> = {
      all: this._trans.__('All'),
      data: this._trans.__('Data'),
      service: this._trans.__('Services'),
      software: this._trans.__('Software')
    };
    for (const [key, button] of this._kindButtons) {
      const count = key === 'all' ? total : counts[key as Kind];
      button.textContent = `${names[key]} (${count})`;
      button.classList.toggle(
        'esap-mod-selected',
        (this.model.kind ?? 'all') === key
      );
    }
    this.node.dataset.esapTotal = String(this.model.total);
    if (error) {
      this._status(error, true);
    }
  }

  /** Record which rows are in view and whether they are painted (for tests and benchmarks). */
  private _track(): void {
    const [first, last] = this._grid.visibleRows();
    const end = Math.min(last, Math.max(0, this.model.total - 1));
    this.node.dataset.esapFirstRow = String(first);
    this.node.dataset.esapReady = String(
      this.model.total === 0 || this.model.loaded(first, end)
    );
  }

  private async _selection(): Promise<IBasketSummary[]> {
    return this.model.items(this._grid.selectedRows());
  }

  private async _selected(): Promise<void> {
    const rows = this._grid.selectedRows();
    if (rows.length !== 1) {
      this._editorWidget.hide();
      this._current = null;
      return;
    }
    const [item] = await this.model.items(rows);
    this._current = item ?? null;
    if (!item) {
      return;
    }
    this._editorWidget.show();
    this._detail.textContent = `${item.kind}: ${item.access_url ?? item.service ?? item.id}`;
    this._titleInput.value = item.title || item.label;
    this._groupInput.value = item.group;
    this._notesInput.value = item.notes;
  }

  private async _save(): Promise<void> {
    if (!this._current) {
      return;
    }
    await this._api.update(this._current.id, {
      title: this._titleInput.value,
      group: this._groupInput.value,
      notes: this._notesInput.value
    });
    this._status(this._trans.__('Saved'));
    await this.model.reload();
  }

  private async _open(): Promise<void> {
    const chosen = await this._selection();
    const { code } = await this._api.cell(
      chosen.map(item => item.id),
      this.model.kind
    );
    await this._insertCode(code);
  }

  private async _remove(): Promise<void> {
    const chosen = await this._selection();
    if (!chosen.length) {
      this._status(this._trans.__('Select the items to remove first'));
      return;
    }
    const { removed } = await this._api.remove(chosen.map(item => item.id));
    this._grid.selectionModel?.clear();
    this._status(
      this._trans._n('Removed %1 item', 'Removed %1 items', removed)
    );
    await this.model.reload();
  }

  private async _clear(): Promise<void> {
    const kind = this.model.kind;
    const result = await showDialog({
      title: this._trans.__('Clear the basket'),
      body: kind
        ? this._trans.__('Remove every %1 item from your basket?', kind)
        : this._trans.__('Remove every item from your basket?'),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: this._trans.__('Clear') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    await this._api.clear(kind);
    this._grid.selectionModel?.clear();
    await this.model.reload();
  }

  private _sendToDesktop: ((ids: string[]) => Promise<string>) | null;

  private async _download(): Promise<void> {
    const chosen = await this._selection();
    let job: IDownload = await this._api.startDownload(
      chosen.length ? chosen.map(item => item.id) : null
    );
    this._progress.hidden = false;
    while (true) {
      const files = job.files.length;
      const done = job.files.filter(f => f.state === 'done').length;
      this._progress.max = job.total_bytes ?? 1;
      this._progress.value = job.total_bytes
        ? job.done_bytes
        : done / Math.max(files, 1);
      this.node.dataset.esapDownload = job.state;
      this._status(
        this._trans.__(
          '%1: %2 of %3 files, %4 of %5, into ~/%6',
          job.state,
          done,
          files,
          bytes(job.done_bytes),
          bytes(job.total_bytes),
          job.folder
        ) + (job.error ? ` — ${job.error}` : ''),
        job.state === 'error'
      );
      if (job.state !== 'running') {
        break;
      }
      await new Promise(resolve => setTimeout(resolve, 500));
      job = await this._api.download(job.id);
    }
  }

  private _status(text: string, error = false): void {
    this._statusNode.textContent = text;
    this._statusNode.classList.toggle('esap-mod-error', error);
  }

  private _api: BasketAPI;
  private _trans: TranslationBundle;
  private _insertCode: (code: string) => Promise<unknown>;
  private _grid: BasketGrid;
  private _kindButtons = new Map<string, HTMLButtonElement>();
  private _editorWidget!: Widget;
  private _detail = element('div', 'esap-BasketPanel-detail');
  private _titleInput = document.createElement('input');
  private _groupInput = document.createElement('input');
  private _notesInput = document.createElement('textarea');
  private _progress = document.createElement('progress');
  private _statusNode = document.createElement('div');
  private _current: IBasketSummary | null = null;
  private _loads = 0;
}

export { COLUMNS };
