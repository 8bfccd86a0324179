import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { imageIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { BoxPanel, SplitPanel, Widget } from '@lumino/widgets';

import { EsapAPIError } from '../request';
import {
  IRegion,
  IScaleOptions,
  IViewInfo,
  IViewWorld,
  ViewAPI,
  ViewSource
} from './api';
import { ISelection, PointerMode, TileCanvas } from './canvas';

/** The intervals, stretches and colour maps the server offers (`GET view/tile`). */
const INTERVALS = ['zscale', 'minmax', '99.5', '99', '98', '95', '90'];
const STRETCHES = ['linear', 'log', 'asinh', 'sqrt'];
const COLORMAPS = ['gray', 'viridis', 'inferno'];

/** Milliseconds the grid waits for the view to stop moving before it is asked again. */
const GRID_DELAY = 200;

/** Where the image came from, when it is a result's or basket's product. */
export interface IViewOrigin {
  /** The stored result whose rows are drawn over the image. */
  resultId?: string | null;
  /** The row or basket item (what a cutout is asked of). */
  item?: Record<string, unknown> | null;
}

/**
 * Degrees as `+12.34567°`.
 */
function degrees(value: number, signed = false): string {
  const text = value.toFixed(5);
  return `${signed && value >= 0 ? '+' : ''}${text}°`;
}

/** A number as short text: fixed for ordinary sizes, exponent otherwise. */
function short(value: number): string {
  const size = Math.abs(value);
  return size !== 0 && (size < 1e-3 || size >= 1e6)
    ? value.toExponential(4)
    : String(Number(value.toPrecision(6)));
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/**
 * The viewer: a tiled canvas with its controls (zoom, grid, interval,
 * stretch, colour map, selection, header), a plane slider for cubes, and a
 * status line with what is under the pointer — its pixel, value, and sky
 * position as the server's astropy.wcs computes it. Every text from the
 * file (header cards, units) is shown as text, never as HTML.
 *
 * For tests its parts carry data attributes: the status line
 * `data-esap-x`/`-y` (0-based pixel), `data-esap-ra`/`-dec` (degrees),
 * `data-esap-value`; the widget `data-esap-state` (`loading`, `fetching`,
 * `ready`, `error`).
 */
export class ViewerContent extends BoxPanel {
  constructor(options: ViewerContent.IOptions) {
    super({ direction: 'top-to-bottom', spacing: 0 });
    this.addClass('esap-Viewer');
    this._api = options.api;
    this._trans = options.trans;
    this._origin = options.origin ?? {};
    this._onCutout = options.onCutout ?? null;
    this._results = options.results ?? (() => []);
    this.canvas = new TileCanvas(this._api);
    this._header = new Widget({ node: element('pre', 'esap-ViewHeader') });
    this._header.addClass('esap-ViewHeader-host');
    this._header.hide();

    this._controls = new Widget({ node: this._buildControls() });
    this._controls.addClass('esap-ViewControls');
    this._planes = new Widget({ node: this._buildPlanes() });
    this._planes.addClass('esap-ViewPlanes');
    this._planes.hide();
    this._status = new Widget({ node: this._buildStatus() });
    this._status.addClass('esap-ViewStatus');

    const split = new SplitPanel({ orientation: 'horizontal', spacing: 1 });
    split.addClass('esap-ViewSplit');
    split.addWidget(this.canvas);
    split.addWidget(this._header);
    split.setRelativeSizes([3, 1]);
    this.addWidget(this._controls);
    this.addWidget(split);
    this.addWidget(this._planes);
    this.addWidget(this._status);
    BoxPanel.setStretch(this._controls, 0);
    BoxPanel.setStretch(split, 1);
    BoxPanel.setStretch(this._planes, 0);
    BoxPanel.setStretch(this._status, 0);

    this.canvas.pointerMoved.connect((_, at) => this._pointer(at));
    this.canvas.viewChanged.connect(() => this._scheduleGrid());
    this.canvas.selectionChanged.connect((_, s) => this._selected(s));
    this.canvas.tileFailed.connect((_, message) =>
      this._message(message, true)
    );
    this._setState('loading');
  }

  readonly canvas: TileCanvas;

  /** The file's description, once loaded. */
  get info(): IViewInfo | null {
    return this._info;
  }

  get source(): ViewSource | null {
    return this._source;
  }

  /** Show a remote product's fetch: a progress bar and what it does. */
  showFetch(text: string, done: number, total: number | null): void {
    this._setState('fetching');
    this._progress.hidden = false;
    this._progress.max = total ?? 1;
    this._progress.value = total ? done : 0;
    this._message(text);
  }

  /** Something went wrong before an image could be shown (or while). */
  showError(error: EsapAPIError | Error): void {
    const fix = error instanceof EsapAPIError ? error.fix : '';
    this._progress.hidden = true;
    this._message(fix ? `${error.message} — ${fix}` : error.message, true);
    if (!this._info) {
      this._setState('error');
    }
  }

  /** Open a file: describe it, then show its tiles. */
  async open(source: ViewSource): Promise<void> {
    this._source = source;
    this._progress.hidden = true;
    this._setState('loading');
    let info: IViewInfo;
    try {
      info = await this._api.info(source);
    } catch (reason) {
      this.showError(EsapAPIError.from(reason));
      return;
    }
    this._info = info;
    this._header.node.textContent = info.header;
    this.canvas.setImage(
      source,
      {
        width: info.width,
        height: info.height,
        levels: info.levels,
        tile: info.tile_size
      },
      info.version
    );
    this.canvas.setDisplay(this._plane, this._scale());
    this._showPlanes(info);
    const notes = [...info.notes];
    if (info.no_wcs) {
      notes.unshift(this._trans.__('no WCS: %1', info.no_wcs));
    }
    this._message(notes.join(' · '));
    this._wcsOnly.forEach(node => (node.disabled = info.wcs === null));
    this._setState('ready');
    this._scheduleGrid();
    if (this._origin.resultId && info.wcs) {
      this._overlaySelect.value = this._origin.resultId;
      await this._loadOverlay();
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.canvas.update();
  }

  private _setState(state: string): void {
    this.node.dataset.esapState = state;
  }

  private _scale(): IScaleOptions {
    return {
      interval: this._interval.value,
      stretch: this._stretch.value,
      cmap: this._cmap.value
    };
  }

  private _message(text: string, error = false): void {
    this._messageNode.textContent = text;
    this._messageNode.classList.toggle('esap-mod-error', error);
  }

  private _buildControls(): HTMLElement {
    const trans = this._trans;
    const bar = element('div', 'esap-ViewControls-bar');
    const button = (label: string, title: string, action: () => void) => {
      const node = element('button', 'jp-mod-styled esap-ViewButton', label);
      node.type = 'button';
      node.title = title;
      node.setAttribute('aria-label', title);
      node.addEventListener('click', action);
      bar.appendChild(node);
      return node;
    };
    const select = (
      label: string,
      values: string[],
      name: string,
      initial: string
    ) => {
      const host = element('label', 'esap-ViewSelect', label);
      const node = element('select', 'jp-mod-styled');
      node.dataset.esapControl = name;
      for (const value of values) {
        const option = element('option', '', value);
        option.value = value;
        node.appendChild(option);
      }
      node.value = initial;
      node.addEventListener('change', () => this._redisplay(name));
      host.appendChild(node);
      bar.appendChild(host);
      return node;
    };
    const check = (label: string, name: string, action: () => void) => {
      const host = element('label', 'esap-ViewCheck');
      const node = element('input', '');
      node.type = 'checkbox';
      node.dataset.esapControl = name;
      node.addEventListener('change', action);
      host.appendChild(node);
      host.appendChild(document.createTextNode(label));
      bar.appendChild(host);
      return node;
    };
    button('−', trans.__('Zoom out'), () => this.canvas.zoomOut());
    button('+', trans.__('Zoom in'), () => this.canvas.zoomIn());
    button(trans.__('Fit'), trans.__('Show the whole image'), () =>
      this.canvas.fit()
    );
    button('1:1', trans.__('One image pixel per screen pixel'), () =>
      this.canvas.actualSize()
    );
    this._interval = select(trans.__('Scale'), INTERVALS, 'interval', 'zscale');
    this._stretch = select(trans.__('Stretch'), STRETCHES, 'stretch', 'linear');
    this._cmap = select(trans.__('Colours'), COLORMAPS, 'cmap', 'gray');
    this._gridBox = check(trans.__('Grid'), 'grid', () => this._scheduleGrid());
    this._overlaySelect = this._buildOverlay(bar);
    const modes: [PointerMode, string, string][] = [
      ['pan', trans.__('Pan'), trans.__('Drag to move the image')],
      ['box', trans.__('Box'), trans.__('Drag to select a box')],
      ['circle', trans.__('Circle'), trans.__('Drag from a centre')]
    ];
    const group = element('span', 'esap-ViewModes');
    group.setAttribute('role', 'radiogroup');
    for (const [mode, label, title] of modes) {
      const node = element('button', 'jp-mod-styled esap-ViewMode', label);
      node.type = 'button';
      node.title = title;
      node.dataset.esapMode = mode;
      node.setAttribute('role', 'radio');
      node.setAttribute('aria-checked', String(mode === 'pan'));
      node.addEventListener('click', () => {
        this.canvas.mode = mode;
        group.querySelectorAll('button').forEach(b => {
          b.setAttribute('aria-checked', String(b === node));
        });
      });
      if (mode !== 'pan') {
        this._wcsOnly.push(node);
      }
      group.appendChild(node);
    }
    bar.appendChild(group);
    this._cutout = button(
      trans.__('Cut out…'),
      trans.__('Ask the archive for a cutout of the selection'),
      () => void this._cutoutSelection()
    );
    this._cutout.dataset.esapAction = 'cutout';
    this._cutout.disabled = true;
    // a file of the home has no archive to ask for a cutout
    this._cutout.hidden = this._onCutout === null;
    const header = button(
      trans.__('Header'),
      trans.__('Show the FITS header'),
      () => {
        this._header.setHidden(!this._header.isHidden);
        header.setAttribute('aria-pressed', String(!this._header.isHidden));
      }
    );
    header.dataset.esapAction = 'header';
    this._wcsOnly.push(this._gridBox);
    return bar;
  }

  /**
   * The result whose rows are drawn over the image: none, the one the image
   * came from, or any result open in the lab (listed again when opened).
   */
  private _buildOverlay(bar: HTMLElement): HTMLSelectElement {
    const host = element('label', 'esap-ViewSelect', this._trans.__('Rows'));
    const node = element('select', 'jp-mod-styled');
    node.dataset.esapControl = 'overlay';
    node.title = this._trans.__(
      "A result's rows with positions, over the image"
    );
    const fill = () => {
      const chosen = node.value;
      const listed: { resultId: string; label: string }[] = [];
      if (this._origin.resultId) {
        listed.push({
          resultId: this._origin.resultId,
          label: this._trans.__('this result')
        });
      }
      for (const result of this._results()) {
        if (!listed.some(r => r.resultId === result.resultId)) {
          listed.push(result);
        }
      }
      node.replaceChildren();
      const none = element('option', '', this._trans.__('none'));
      none.value = '';
      node.appendChild(none);
      for (const result of listed) {
        const option = element('option', '', result.label);
        option.value = result.resultId;
        node.appendChild(option);
      }
      node.value = listed.some(r => r.resultId === chosen) ? chosen : '';
    };
    fill();
    node.addEventListener('focus', fill);
    node.addEventListener('mousedown', fill);
    node.addEventListener('change', () => void this._loadOverlay());
    host.appendChild(node);
    bar.appendChild(host);
    this._wcsOnly.push(node);
    return node;
  }

  private _buildPlanes(): HTMLElement {
    const row = element('div', 'esap-ViewPlanes-row');
    this._slider = element('input', 'esap-ViewPlanes-slider');
    this._slider.type = 'range';
    this._slider.min = '0';
    this._slider.step = '1';
    this._slider.value = '0';
    this._slider.setAttribute('aria-label', this._trans.__('Plane'));
    this._slider.addEventListener('input', () => {
      this._plane = Number(this._slider.value);
      this._planeText();
      this.canvas.setDisplay(this._plane, this._scale());
    });
    this._planeLabel = element('span', 'esap-ViewPlanes-label');
    row.appendChild(this._slider);
    row.appendChild(this._planeLabel);
    return row;
  }

  private _buildStatus(): HTMLElement {
    const row = element('div', 'esap-ViewStatus-row');
    this._coords = element('span', 'esap-ViewStatus-coords');
    this._messageNode = element('span', 'esap-ViewStatus-message');
    this._messageNode.setAttribute('role', 'status');
    this._progress = element('progress', 'esap-ViewStatus-progress');
    this._progress.hidden = true;
    row.appendChild(this._coords);
    row.appendChild(this._progress);
    row.appendChild(this._messageNode);
    return row;
  }

  private _showPlanes(info: IViewInfo): void {
    if (info.planes <= 1) {
      this._planes.hide();
      return;
    }
    this._slider.max = String(info.planes - 1);
    this._slider.value = String(this._plane);
    this._planeText();
    this._planes.show();
  }

  private _planeText(): void {
    const info = this._info;
    if (!info) {
      return;
    }
    const spectral = info.spectral;
    const value = spectral?.values[this._plane];
    const text =
      spectral && value !== undefined
        ? this._trans.__(
            'plane %1 of %2: %3 %4 (%5)',
            this._plane + 1,
            info.planes,
            short(value),
            spectral.unit,
            spectral.ctype
          )
        : this._trans.__('plane %1 of %2', this._plane + 1, info.planes);
    this._planeLabel.textContent = text;
    this._planeLabel.dataset.esapPlane = String(this._plane);
    if (value !== undefined) {
      this._planeLabel.dataset.esapSpectral = String(value);
    }
  }

  private _redisplay(name: string): void {
    this.canvas.setDisplay(this._plane, this._scale());
    this.node.dataset.esapDisplay = `${name}:${JSON.stringify(this._scale())}`;
  }

  /** Ask what is under the pointer, one request at a time (the latest position wins). */
  private _pointer(at: { x: number; y: number } | null): void {
    this._wanted = at;
    if (!at || !this._source) {
      return;
    }
    if (this._asking) {
      return;
    }
    this._asking = true;
    const source = this._source;
    const plane = this._plane;
    void this._api
      .world(source, at.x, at.y, plane)
      .then(world => this._showWorld(world))
      .catch(reason => this._message(EsapAPIError.from(reason).message, true))
      .finally(() => {
        this._asking = false;
        const next = this._wanted;
        if (next && (next.x !== at.x || next.y !== at.y)) {
          this._pointer(next);
        }
      });
  }

  private _showWorld(world: IViewWorld): void {
    const trans = this._trans;
    const node = this._coords;
    const parts = [
      trans.__(
        'x %1 y %2 (FITS %3, %4)',
        world.x.toFixed(1),
        world.y.toFixed(1),
        (world.x + 1).toFixed(1),
        (world.y + 1).toFixed(1)
      ),
      world.value === null
        ? trans.__('no value')
        : `${short(world.value)}${world.unit ? ` ${world.unit}` : ''}`
    ];
    node.dataset.esapX = String(world.x);
    node.dataset.esapY = String(world.y);
    node.dataset.esapValue = world.value === null ? '' : String(world.value);
    if (world.world) {
      const sky = world.world;
      parts.push(
        trans.__(
          'RA %1 Dec %2 (%3, %4)',
          sky.ra_hms,
          sky.dec_dms,
          degrees(sky.ra),
          degrees(sky.dec, true)
        )
      );
      if (sky.lon !== undefined && sky.lat !== undefined) {
        parts.push(
          `${sky.frame}: ${degrees(sky.lon)} ${degrees(sky.lat, true)}`
        );
      }
      node.dataset.esapRa = String(sky.ra);
      node.dataset.esapDec = String(sky.dec);
    } else {
      parts.push(
        world.no_wcs
          ? trans.__('no WCS: %1', world.no_wcs)
          : trans.__('no sky position')
      );
      delete node.dataset.esapRa;
      delete node.dataset.esapDec;
    }
    if (world.spectral) {
      parts.push(
        `${world.spectral.ctype} ${short(world.spectral.value)} ${world.spectral.unit}`
      );
    }
    node.textContent = parts.join(' · ');
  }

  private _scheduleGrid(): void {
    window.clearTimeout(this._gridTimer);
    if (!this._gridBox.checked || !this._info?.wcs || !this._source) {
      this.canvas.setGrid(null);
      return;
    }
    this._gridTimer = window.setTimeout(() => {
      const source = this._source;
      if (!source) {
        return;
      }
      void this._api
        .grid(source, this.canvas.visibleBox())
        .then(lines => {
          if (this._gridBox.checked) {
            this.canvas.setGrid(lines);
            this.canvas.node.dataset.esapGridLines = String(lines.length);
          }
        })
        .catch(reason =>
          this._message(EsapAPIError.from(reason).message, true)
        );
    }, GRID_DELAY);
  }

  private async _loadOverlay(): Promise<void> {
    const resultId = this._overlaySelect.value;
    const canvas = this.canvas;
    if (!resultId || !this._source) {
      canvas.setMarkers(null);
      delete canvas.node.dataset.esapMarkers;
      return;
    }
    try {
      const overlay = await this._api.overlay(this._source, resultId);
      if (this._overlaySelect.value !== resultId) {
        return; // another result was chosen meanwhile
      }
      canvas.setMarkers(overlay.points);
      canvas.node.dataset.esapMarkers = String(overlay.shown);
      this._message(
        this._trans.__(
          "%1 of the result's %2 rows are on the image",
          overlay.on_image,
          overlay.total
        )
      );
    } catch (reason) {
      this._overlaySelect.value = '';
      canvas.setMarkers(null);
      this.showError(EsapAPIError.from(reason));
    }
  }

  private _selected(selection: ISelection | null): void {
    this._cutout.disabled = selection === null || !this._onCutout;
  }

  /** The selection as a region of the sky (the server's), handed to the cutout dialog. */
  private async _cutoutSelection(): Promise<void> {
    const selection = this.canvas.selection;
    if (!selection || !this._source || !this._onCutout) {
      return;
    }
    let region: IRegion;
    try {
      region = await this._api.region(
        this._source,
        selection.shape,
        [selection.x0, selection.y0, selection.x1, selection.y1],
        this._plane
      );
    } catch (reason) {
      this.showError(EsapAPIError.from(reason));
      return;
    }
    await this._onCutout(region, this._origin.item ?? {});
  }

  private _api: ViewAPI;
  private _trans: TranslationBundle;
  private _origin: IViewOrigin;
  private _onCutout:
    ((region: IRegion, item: Record<string, unknown>) => Promise<void>) | null;
  private _results: () => { resultId: string; label: string }[];
  private _source: ViewSource | null = null;
  private _info: IViewInfo | null = null;
  private _plane = 0;
  private _header: Widget;
  private _controls: Widget;
  private _planes: Widget;
  private _status: Widget;
  private _interval!: HTMLSelectElement;
  private _stretch!: HTMLSelectElement;
  private _cmap!: HTMLSelectElement;
  private _gridBox!: HTMLInputElement;
  private _overlaySelect!: HTMLSelectElement;
  private _cutout!: HTMLButtonElement;
  private _slider!: HTMLInputElement;
  private _planeLabel!: HTMLSpanElement;
  private _coords!: HTMLSpanElement;
  private _messageNode!: HTMLSpanElement;
  private _progress!: HTMLProgressElement;
  private _wcsOnly: (
    HTMLButtonElement | HTMLInputElement | HTMLSelectElement
  )[] = [];
  private _gridTimer = 0;
  private _asking = false;
  private _wanted: { x: number; y: number } | null = null;
}

export namespace ViewerContent {
  export interface IOptions {
    api: ViewAPI;
    trans: TranslationBundle;
    origin?: IViewOrigin;
    /** The stored results open in the lab whose rows may be drawn over the image. */
    results?: () => { resultId: string; label: string }[];
    /** Ask for a cutout of a region (the viewer's "Cut out…"); absent: no button. */
    onCutout?: (
      region: IRegion,
      item: Record<string, unknown>
    ) => Promise<void>;
  }
}

/**
 * The viewer in the main area (opened from a result row, a basket item or
 * a command); a file opened from the file browser is a document widget
 * around the same content.
 */
export class ViewerWidget extends MainAreaWidget<ViewerContent> {
  constructor(content: ViewerContent, label: string, trans: TranslationBundle) {
    super({ content });
    ViewerWidget._count += 1;
    this.id = `esap-viewer-${ViewerWidget._count}`;
    this.addClass('esap-ViewerWidget');
    this.title.label = label;
    this.title.caption = trans.__('ESAP image viewer: %1', label);
    this.title.icon = imageIcon;
    this.title.closable = true;
  }

  private static _count = 0;
}
