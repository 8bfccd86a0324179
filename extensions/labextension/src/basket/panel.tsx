import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  LabIcon,
  ReactWidget,
  ToolbarButton,
  UseSignal,
  VDomModel,
  clearIcon,
  deleteIcon,
  downloadIcon,
  imageIcon,
  notebookIcon,
  shareIcon
} from '@jupyterlab/ui-components';
import { BasicMouseHandler } from '@lumino/datagrid';
import { Message, MessageLoop } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';
import React from 'react';

import { ThemedGrid } from '../grid/grid';
import { EsapSidePanel } from '../sidepanel';
import { JobFollower } from '../jobs';
import { BasketAPI, IBasketSummary, IDownload, Kind, KINDS } from './api';
import { BasketModel, COLUMNS } from './model';

/** The grid's row height, used to tell which rows are in view. */
const ROW_HEIGHT = 24;

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
 * The basket grid: the items, a row each, selectable. It follows its own
 * size (the editor under it comes and goes), as the canvas cannot.
 */
class BasketGrid extends ThemedGrid {
  constructor(model: BasketModel) {
    super(model, {
      defaultSizes: {
        rowHeight: ROW_HEIGHT,
        columnWidth: 130,
        rowHeaderWidth: 56,
        columnHeaderHeight: 26
      }
    });
    this.addClass('esap-BasketGrid');
    this.mouseHandler = new BasicMouseHandler();
    this._resized.observe(this.node);
  }

  dispose(): void {
    this._resized.disconnect();
    super.dispose();
  }

  /** First and last body rows in view. */
  visibleRows(): [number, number] {
    const first = Math.floor(this.scrollY / ROW_HEIGHT);
    const shown = Math.ceil(this.pageHeight / ROW_HEIGHT);
    return [first, Math.max(first, first + shown - 1)];
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.repaintContent();
  }

  private _resized = new ResizeObserver(() =>
    MessageLoop.sendMessage(this, Widget.ResizeMessage.UnknownSize)
  );
}

/**
 * What the panel shows besides the grid: the item being edited, the
 * status line and a download's progress.
 */
class BasketView extends VDomModel {
  /** The one selected item, or `null`. */
  get current(): IBasketSummary | null {
    return this._current;
  }

  set current(item: IBasketSummary | null) {
    this._current = item;
    this.stateChanged.emit();
  }

  /** The status line, and whether it is an error. */
  get status(): { text: string; error: boolean } {
    return this._status;
  }

  setStatus(text: string, error = false): void {
    this._status = { text, error };
    this.stateChanged.emit();
  }

  /** The progress bar of a download (`null`: none shown). */
  get progress(): { value: number; max: number } | null {
    return this._progress;
  }

  set progress(progress: { value: number; max: number } | null) {
    this._progress = progress;
    this.stateChanged.emit();
  }

  private _current: IBasketSummary | null = null;
  private _status = { text: '', error: false };
  private _progress: { value: number; max: number } | null = null;
}

/**
 * The kind filters (with their counts) and the text filter.
 */
function BasketFilters(props: {
  model: BasketModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const counts = model.counts;
  const names: Record<string, string> = {
    all: trans.__('All'),
    data: trans.__('Data'),
    service: trans.__('Services'),
    software: trans.__('Software')
  };
  const timer = React.useRef(0);
  return (
    <>
      <div className="esap-BasketPanel-kinds">
        {([null, ...KINDS] as (Kind | null)[]).map(kind => {
          const key = kind ?? 'all';
          const count =
            kind === null
              ? KINDS.reduce((sum, k) => sum + counts[k], 0)
              : counts[kind];
          return (
            <Button
              key={key}
              className={
                (model.kind ?? 'all') === key
                  ? 'esap-BasketPanel-kind esap-mod-selected'
                  : 'esap-BasketPanel-kind'
              }
              data-kind={key}
              onClick={() => void model.setFilter(kind, model.text)}
            >
              {`${names[key]} (${count})`}
            </Button>
          );
        })}
      </div>
      <input
        type="search"
        className="jp-mod-styled esap-BasketPanel-search"
        placeholder={trans.__('Filter by title, service, notes, URL')}
        aria-label={trans.__('Filter the basket')}
        onChange={event => {
          const text = event.currentTarget.value;
          window.clearTimeout(timer.current);
          timer.current = window.setTimeout(
            () => void model.setFilter(model.kind, text),
            250
          );
        }}
      />
    </>
  );
}

/**
 * The selected item: what it is, and its title, group and notes to edit.
 * Every value from an archive is shown as text.
 */
function BasketEditor(props: {
  item: IBasketSummary;
  trans: TranslationBundle;
  onSave: (changes: { title: string; group: string; notes: string }) => void;
}): JSX.Element {
  const { item, trans, onSave } = props;
  const [title, setTitle] = React.useState(item.title || item.label);
  const [group, setGroup] = React.useState(item.group);
  const [notes, setNotes] = React.useState(item.notes);
  return (
    <>
      <div className="esap-BasketPanel-detail">
        {`${item.kind}: ${item.access_url ?? item.service ?? item.id}`}
      </div>
      <input
        className="jp-mod-styled esap-BasketPanel-rename"
        placeholder={trans.__('Title')}
        aria-label={trans.__('Title')}
        value={title}
        onChange={event => setTitle(event.currentTarget.value)}
      />
      <input
        className="jp-mod-styled esap-BasketPanel-group"
        placeholder={trans.__('Group')}
        aria-label={trans.__('Group')}
        value={group}
        onChange={event => setGroup(event.currentTarget.value)}
      />
      <textarea
        className="jp-mod-styled esap-BasketPanel-notes"
        placeholder={trans.__('Notes')}
        aria-label={trans.__('Notes')}
        rows={2}
        value={notes}
        onChange={event => setNotes(event.currentTarget.value)}
      />
      <div className="esap-Actions">
        <Button
          className="jp-mod-styled jp-mod-accept"
          data-action="save"
          onClick={() => onSave({ title, group, notes })}
        >
          {trans.__('Save')}
        </Button>
      </div>
    </>
  );
}

/**
 * A part of the panel drawn by React, again whenever `signal` fires.
 */
function part(
  className: string,
  signal: ISignal<unknown, void>,
  render: () => JSX.Element | null
): ReactWidget {
  const widget = ReactWidget.create(
    <UseSignal signal={signal}>{() => render()}</UseSignal>
  );
  widget.addClass(className);
  return widget;
}

export namespace BasketPanel {
  export interface IOptions {
    api: BasketAPI;
    trans: TranslationBundle;
    /** The icon of the panel's tab. */
    icon: LabIcon;
    /** Put this code in a notebook cell (Open in notebook). */
    insertCode: (code: string) => Promise<unknown>;
    /** Send the chosen items to a desktop tool over SAMP; answers a status line. */
    sendToDesktop?: (ids: string[]) => Promise<string>;
    /** Look at a data item's file in the image viewer. */
    view?: (item: IBasketSummary) => Promise<void>;
  }
}

/**
 * The Basket panel (id `esap-basket`): everything the user collected,
 * grouped by kind, with remove, clear, rename, notes, Open in notebook and
 * Download.
 *
 * For tests and benchmarks its node says `data-esap-total` (items shown),
 * `data-esap-first-row` (the first row in view), `data-esap-ready` (whether
 * the rows in view are painted) and `data-esap-loads` (reloads finished).
 */
export class BasketPanel extends EsapSidePanel {
  constructor(options: BasketPanel.IOptions) {
    const { trans } = options;
    super({
      id: 'esap-basket',
      className: 'esap-BasketPanel',
      heading: trans.__('Basket'),
      caption: trans.__('ESAP basket'),
      icon: options.icon,
      content: new Panel()
    });
    this._api = options.api;
    this._bundle = trans;
    this._insertCode = options.insertCode;
    this.model = new BasketModel(options.api);
    this._grid = new BasketGrid(this.model);
    this.addRefreshButton({
      onClick: () => void this.refresh(),
      tooltip: trans.__('Reload the basket')
    });

    const view = this._view;
    const send = options.sendToDesktop;
    const look = options.view;
    const actions = [
      {
        action: 'open',
        icon: notebookIcon,
        label: trans.__('Open in notebook'),
        run: () => this._open()
      },
      {
        action: 'download',
        icon: downloadIcon,
        label: trans.__('Download into my home'),
        run: () => this._download()
      },
      ...(look
        ? [
            {
              action: 'view',
              icon: imageIcon,
              label: trans.__('View the image or cube'),
              run: async () => {
                const [item] = await this._selection();
                if (!item || item.kind !== 'data' || !item.access_url) {
                  view.setStatus(
                    trans.__('Select a data item with a file to view it')
                  );
                  return;
                }
                await look(item);
              }
            }
          ]
        : []),
      ...(send
        ? [
            {
              action: 'samp',
              icon: shareIcon,
              label: trans.__('Send to desktop tool'),
              run: async () => {
                const chosen = await this._selection();
                view.setStatus(await send(chosen.map(item => item.id)));
              }
            }
          ]
        : []),
      {
        action: 'remove',
        icon: deleteIcon,
        label: trans.__('Remove the selected items'),
        run: () => this._remove()
      },
      {
        action: 'clear',
        icon: clearIcon,
        label: trans.__('Clear the basket'),
        run: () => this._clear()
      }
    ];
    for (const { action, icon, label, run } of actions) {
      this.toolbar.addItem(
        action,
        new ToolbarButton({
          icon,
          tooltip: label,
          dataset: { action },
          onClick: () =>
            void run().catch(reason =>
              view.setStatus(String(reason.message ?? reason), true)
            )
        })
      );
    }
    this.content.addClass('esap-BasketPanel-content');
    this.content.addWidget(
      part('esap-BasketPanel-header', view.stateChanged, () => (
        <BasketFilters model={this.model} trans={trans} />
      ))
    );
    this.content.addWidget(this._grid);
    this._editor = part('esap-BasketPanel-editor', view.stateChanged, () =>
      view.current ? (
        <BasketEditor
          key={view.current.id}
          item={view.current}
          trans={trans}
          onSave={changes => void this._save(changes)}
        />
      ) : null
    );
    this._editor.hide();
    this.content.addWidget(this._editor);
    this.content.addWidget(
      part('esap-BasketPanel-footer', view.stateChanged, () => (
        <>
          {view.progress && (
            <progress
              className="esap-BasketPanel-progress"
              value={view.progress.value}
              max={view.progress.max}
            />
          )}
          <div
            className={
              view.status.error
                ? 'esap-BasketPanel-status esap-mod-error'
                : 'esap-BasketPanel-status'
            }
          >
            {view.status.text}
          </div>
        </>
      ))
    );

    this.node.dataset.esapTotal = '0';
    this.model.stateChanged.connect(this._onModelState, this);
    this.model.pageLoaded.connect(() => this._track());
    this._grid.viewport.node.addEventListener('wheel', () =>
      requestAnimationFrame(() => this._track())
    );
    this._grid.selectionModel?.changed.connect(() => void this._selected());
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
    await this.model.refresh();
    this._loads += 1;
    this.node.dataset.esapLoads = String(this._loads);
    this._track();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.refresh();
  }

  /** Notebooks and the CLI change the basket too: reload whenever it is shown. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  private _onModelState(): void {
    this.node.dataset.esapTotal = String(this.model.total);
    const error = this.model.error;
    if (error) {
      this._view.setStatus(error.message, true);
    } else {
      this._view.stateChanged.emit();
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

  private _selection(): Promise<IBasketSummary[]> {
    return this.model.rows(this._grid.selectedRows());
  }

  /** Edit the item when exactly one is selected. */
  private async _selected(): Promise<void> {
    const rows = this._grid.selectedRows();
    const [item] = rows.length === 1 ? await this.model.rows(rows) : [];
    this._view.current = item ?? null;
    this._editor.setHidden(this._view.current === null);
  }

  private async _save(changes: {
    title: string;
    group: string;
    notes: string;
  }): Promise<void> {
    const current = this._view.current;
    if (!current) {
      return;
    }
    try {
      await this._api.update(current.id, changes);
    } catch (reason) {
      this._view.setStatus(String((reason as Error).message ?? reason), true);
      return;
    }
    this._view.setStatus(this._bundle.__('Saved'));
    await this.model.refresh();
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
      this._view.setStatus(this._bundle.__('Select the items to remove first'));
      return;
    }
    const { removed } = await this._api.remove(chosen.map(item => item.id));
    this._grid.selectionModel?.clear();
    this._view.setStatus(
      this._bundle._n('Removed %1 item', 'Removed %1 items', removed)
    );
    await this.model.refresh();
  }

  private async _clear(): Promise<void> {
    const kind = this.model.kind;
    const result = await showDialog({
      title: this._bundle.__('Clear the basket'),
      body: kind
        ? this._bundle.__('Remove every %1 item from your basket?', kind)
        : this._bundle.__('Remove every item from your basket?'),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: this._bundle.__('Clear') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    await this._api.clear(kind);
    this._grid.selectionModel?.clear();
    await this.model.refresh();
  }

  private async _download(): Promise<void> {
    const chosen = await this._selection();
    const job = await this._api.startDownload(
      chosen.length ? chosen.map(item => item.id) : null
    );
    this._showDownload(job);
    const follower = new JobFollower(job, { interval: 500 });
    follower.changed.connect((_, current) => this._showDownload(current));
    follower.failed.connect((_, error) =>
      this._view.setStatus(`${error.message} ${error.fix}`, true)
    );
    await follower.done.catch(() => undefined);
    follower.dispose();
  }

  private _showDownload(job: IDownload): void {
    const files = job.result?.files ?? [];
    const done = files.filter(f => f.state === 'done').length;
    const total = job.progress.total;
    this._view.progress = {
      max: total ?? 1,
      value: total ? job.progress.done : done / Math.max(files.length, 1)
    };
    this.node.dataset.esapDownload = job.state;
    this._view.setStatus(
      this._bundle.__(
        '%1: %2 of %3 files, %4 of %5, into ~/%6',
        job.state,
        done,
        files.length,
        bytes(job.progress.done),
        bytes(total),
        job.result?.folder ?? job.params.folder
      ) + (job.error ? ` — ${job.error.message}` : ''),
      job.state === 'error'
    );
  }

  private _api: BasketAPI;
  private _bundle: TranslationBundle;
  private _insertCode: (code: string) => Promise<unknown>;
  private _grid: BasketGrid;
  private _view = new BasketView();
  private _editor: ReactWidget;
  private _loads = 0;
}

export { COLUMNS };
