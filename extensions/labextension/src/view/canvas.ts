import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IGridLine, IScaleOptions, ViewAPI, ViewSource } from './api';

/** Tiles kept in the browser at most (the least recently drawn go). */
const TILE_CACHE = 400;
/** How much one wheel notch or zoom button zooms. */
const ZOOM_STEP = 1.25;
/** The closest zoom: image pixels this many screen pixels wide. */
const MAX_SCALE = 64;

/** How the pointer acts on the image. */
export type PointerMode = 'pan' | 'box' | 'circle';

/** A selection drawn on the image, in 0-based image pixels (circle: centre, edge point). */
export interface ISelection {
  shape: 'box' | 'circle';
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A catalogue row drawn over the image. */
export interface IMarker {
  row: number;
  x: number;
  y: number;
}

interface ITileEntry {
  bitmap: ImageBitmap | null;
  controller: AbortController | null;
  failed: boolean;
}

/**
 * The image as tiles on a canvas: zoom (wheel, buttons), pan (drag), only
 * the tiles on screen requested, at the level of the zoom; the grid, the
 * catalogue rows and the selection drawn over them.
 *
 * Coordinates: the image's pixels are 0-based with centres on whole numbers
 * (x along FITS axis 1, y along axis 2, up), as the server has them; the
 * screen shows y downwards, so "display" coordinates (u, v) run from the
 * image's top-left corner, one unit per image pixel.
 *
 * For tests and benchmarks the node says `data-esap-tiles` (tiles drawn),
 * `data-esap-ready` (every tile on screen drawn), `data-esap-level` and
 * `data-esap-first-pixels` (`performance.now()` when the first tile was
 * drawn).
 */
export class TileCanvas extends Widget {
  constructor(api: ViewAPI) {
    super();
    this.addClass('esap-ViewCanvas');
    this._api = api;
    this._canvas = document.createElement('canvas');
    this._canvas.className = 'esap-ViewCanvas-canvas';
    this.node.appendChild(this._canvas);
    this.node.tabIndex = 0;
    this._resize.observe(this.node);
  }

  /** The image pixel under the pointer (null when it leaves the canvas). */
  get pointerMoved(): ISignal<this, { x: number; y: number } | null> {
    return this._pointerMoved;
  }

  /** A selection was drawn (or cleared: null). */
  get selectionChanged(): ISignal<this, ISelection | null> {
    return this._selectionChanged;
  }

  /** The view moved or zoomed (the grid follows it). */
  get viewChanged(): ISignal<this, void> {
    return this._viewChanged;
  }

  /** A tile could not be drawn: the server's message. */
  get tileFailed(): ISignal<this, string> {
    return this._tileFailed;
  }

  get mode(): PointerMode {
    return this._mode;
  }

  set mode(mode: PointerMode) {
    this._mode = mode;
    this.node.dataset.esapMode = mode;
  }

  get selection(): ISelection | null {
    return this._selection;
  }

  /** Screen pixels per image pixel. */
  get scale(): number {
    return this._scale;
  }

  /** Show a file: its size and pyramid; the view is fitted once it has a size. */
  setImage(
    source: ViewSource,
    size: { width: number; height: number; levels: number; tile: number },
    version: string
  ): void {
    this._source = source;
    this._size = size;
    this._version = version;
    this._clearTiles();
    this._fitted = false;
    this.fit();
  }

  /** Which plane and how its values are shown; tiles of another choice are kept for later. */
  setDisplay(plane: number, scale: IScaleOptions): void {
    this._plane = plane;
    this._scaleOptions = scale;
    this.update();
  }

  setGrid(lines: IGridLine[] | null): void {
    this._grid = lines;
    this.update();
  }

  setMarkers(markers: IMarker[] | null): void {
    this._markers = markers;
    this.update();
  }

  clearSelection(): void {
    this._selection = null;
    this._selectionChanged.emit(null);
    this.update();
  }

  /** The whole image in view. */
  fit(): void {
    const size = this._size;
    const { width, height } = this._cssSize();
    if (!size || width === 0 || height === 0) {
      return;
    }
    this._scale = Math.min(width / size.width, height / size.height) * 0.96;
    this._cu = size.width / 2;
    this._cv = size.height / 2;
    this._fitted = true;
    this._changed();
  }

  /** Zoom by `factor` around a screen point (default: the centre). */
  zoom(factor: number, at?: { sx: number; sy: number }): void {
    const { width, height } = this._cssSize();
    const sx = at?.sx ?? width / 2;
    const sy = at?.sy ?? height / 2;
    const before = this._toDisplay(sx, sy);
    const fitScale = this._size
      ? Math.min(width / this._size.width, height / this._size.height) / 4
      : 0;
    this._scale = Math.max(
      Math.min(this._scale * factor, MAX_SCALE),
      Math.min(fitScale, 1)
    );
    const after = this._toDisplay(sx, sy);
    this._cu += before.u - after.u;
    this._cv += before.v - after.v;
    this._changed();
  }

  zoomIn(): void {
    this.zoom(ZOOM_STEP);
  }

  zoomOut(): void {
    this.zoom(1 / ZOOM_STEP);
  }

  /** One image pixel per screen pixel, around the centre. */
  actualSize(): void {
    this.zoom(1 / this._scale);
  }

  /** The image box on screen, in 0-based pixels: [x0, y0, x1, y1]. */
  visibleBox(): [number, number, number, number] {
    const { width, height } = this._cssSize();
    const a = this.screenToImage(0, 0);
    const b = this.screenToImage(width, height);
    return [
      Math.min(a.x, b.x),
      Math.min(a.y, b.y),
      Math.max(a.x, b.x),
      Math.max(a.y, b.y)
    ];
  }

  /** The image pixel (0-based) at a point of the canvas (CSS pixels from its corner). */
  screenToImage(sx: number, sy: number): { x: number; y: number } {
    const { u, v } = this._toDisplay(sx, sy);
    const height = this._size?.height ?? 0;
    return { x: u - 0.5, y: height - v - 0.5 };
  }

  /** Where an image pixel (0-based) is on the canvas, in CSS pixels. */
  imageToScreen(x: number, y: number): { sx: number; sy: number } {
    const height = this._size?.height ?? 0;
    const u = x + 0.5;
    const v = height - y - 0.5;
    const { width, height: h } = this._cssSize();
    return {
      sx: (u - this._cu) * this._scale + width / 2,
      sy: (v - this._cv) * this._scale + h / 2
    };
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resize.disconnect();
    this._clearTiles();
    Signal.clearData(this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    const node = this.node;
    node.addEventListener('wheel', this._onWheel, { passive: false });
    node.addEventListener('pointerdown', this._onPointerDown);
    node.addEventListener('pointermove', this._onPointerMove);
    node.addEventListener('pointerup', this._onPointerUp);
    node.addEventListener('pointerleave', this._onPointerLeave);
    node.addEventListener('keydown', this._onKey);
  }

  protected onBeforeDetach(msg: Message): void {
    const node = this.node;
    node.removeEventListener('wheel', this._onWheel);
    node.removeEventListener('pointerdown', this._onPointerDown);
    node.removeEventListener('pointermove', this._onPointerMove);
    node.removeEventListener('pointerup', this._onPointerUp);
    node.removeEventListener('pointerleave', this._onPointerLeave);
    node.removeEventListener('keydown', this._onKey);
    super.onBeforeDetach(msg);
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    this._draw();
  }

  private _cssSize(): { width: number; height: number } {
    return { width: this.node.clientWidth, height: this.node.clientHeight };
  }

  private _toDisplay(sx: number, sy: number): { u: number; v: number } {
    const { width, height } = this._cssSize();
    return {
      u: this._cu + (sx - width / 2) / this._scale,
      v: this._cv + (sy - height / 2) / this._scale
    };
  }

  private _changed(): void {
    this.update();
    this._viewChanged.emit();
  }

  /** The pyramid level for the zoom: the coarsest whose tiles are not blurred on screen. */
  private _level(): number {
    const size = this._size;
    if (!size) {
      return 0;
    }
    const screen = this._scale * (window.devicePixelRatio || 1);
    const level = Math.floor(Math.log2(1 / screen));
    return Math.max(0, Math.min(size.levels, level));
  }

  private _key(level: number, tx: number, ty: number): string {
    const s = this._scaleOptions;
    return `${this._plane}|${s.interval}|${s.stretch}|${s.cmap}|${level}|${tx}|${ty}`;
  }

  /** The tiles of a level that intersect the screen: [tx0, tx1, ty0, ty1] (inclusive). */
  private _visibleTiles(level: number): [number, number, number, number] {
    const size = this._size!;
    const span = size.tile * 2 ** level;
    const { width, height } = this._cssSize();
    const a = this._toDisplay(0, 0);
    const b = this._toDisplay(width, height);
    const across = Math.ceil(size.width / span);
    const down = Math.ceil(size.height / span);
    const clamp = (n: number, most: number) =>
      Math.max(0, Math.min(most - 1, n));
    return [
      clamp(Math.floor(a.u / span), across),
      clamp(Math.floor(b.u / span), across),
      clamp(Math.floor(a.v / span), down),
      clamp(Math.floor(b.v / span), down)
    ];
  }

  private _draw(): void {
    const canvas = this._canvas;
    const { width, height } = this._cssSize();
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio)) {
      canvas.width = Math.round(width * ratio);
    }
    if (canvas.height !== Math.round(height * ratio)) {
      canvas.height = Math.round(height * ratio);
    }
    const context = canvas.getContext('2d');
    if (!context || !this._size || !this._source || width === 0) {
      return;
    }
    if (!this._fitted) {
      this.fit();
      return;
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    context.imageSmoothingEnabled = this._scale < 1;
    const level = this._level();
    // what coarser levels hold fills the screen while the sharper tiles come
    for (let coarser = this._size.levels; coarser > level; coarser--) {
      this._drawLevel(context, coarser, false);
    }
    const complete = this._drawLevel(context, level, true);
    this._drawOverlays(context);
    this.node.dataset.esapLevel = String(level);
    this.node.dataset.esapReady = String(complete);
    this.node.dataset.esapTiles = String(this._drawn);
  }

  /** Draw a level's tiles on screen; request the missing ones if `fetch`. Whether all were drawn. */
  private _drawLevel(
    context: CanvasRenderingContext2D,
    level: number,
    fetch: boolean
  ): boolean {
    const size = this._size!;
    const span = size.tile * 2 ** level;
    const [tx0, tx1, ty0, ty1] = this._visibleTiles(level);
    let complete = true;
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const key = this._key(level, tx, ty);
        const entry = this._tiles.get(key);
        if (entry?.bitmap) {
          // drawn last = used last: the cache drops the oldest first
          this._tiles.delete(key);
          this._tiles.set(key, entry);
          const left = this._displayToScreen(tx * span, ty * span);
          const w = Math.min(span, size.width - tx * span) * this._scale;
          const h = Math.min(span, size.height - ty * span) * this._scale;
          context.drawImage(entry.bitmap, left.sx, left.sy, w, h);
          continue;
        }
        complete = false;
        if (fetch && !entry) {
          void this._fetch(key, level, tx, ty);
        }
      }
    }
    return complete;
  }

  /** A display point (u, v) on screen. */
  private _displayToScreen(u: number, v: number): { sx: number; sy: number } {
    const { width, height } = this._cssSize();
    return {
      sx: (u - this._cu) * this._scale + width / 2,
      sy: (v - this._cv) * this._scale + height / 2
    };
  }

  private async _fetch(
    key: string,
    level: number,
    x: number,
    y: number
  ): Promise<void> {
    const source = this._source;
    if (!source) {
      return;
    }
    const controller = new AbortController();
    const entry: ITileEntry = { bitmap: null, controller, failed: false };
    this._tiles.set(key, entry);
    try {
      entry.bitmap = await this._api.tile(
        source,
        { plane: this._plane, level, x, y },
        this._scaleOptions,
        this._version,
        controller.signal
      );
    } catch (reason) {
      entry.failed = true;
      this._tileFailed.emit((reason as Error).message ?? String(reason));
      return;
    } finally {
      entry.controller = null;
    }
    if (this.isDisposed || this._tiles.get(key) !== entry) {
      entry.bitmap?.close();
      return;
    }
    if (entry.bitmap) {
      this._drawn += 1;
      if (!this.node.dataset.esapFirstPixels) {
        this.node.dataset.esapFirstPixels = String(performance.now());
      }
    }
    this._evict();
    this.update();
  }

  private _evict(): void {
    while (this._tiles.size > TILE_CACHE) {
      const [key, entry] = this._tiles.entries().next().value as [
        string,
        ITileEntry
      ];
      entry.controller?.abort();
      entry.bitmap?.close();
      this._tiles.delete(key);
    }
  }

  private _clearTiles(): void {
    for (const entry of this._tiles.values()) {
      entry.controller?.abort();
      entry.bitmap?.close();
    }
    this._tiles.clear();
  }

  private _drawOverlays(context: CanvasRenderingContext2D): void {
    const style = getComputedStyle(this.node);
    if (this._grid) {
      context.save();
      context.strokeStyle =
        style.getPropertyValue('--esap-view-grid').trim() || '#4fc3f7';
      context.fillStyle = context.strokeStyle;
      context.lineWidth = 1;
      context.font = '11px sans-serif';
      for (const line of this._grid) {
        context.beginPath();
        line.points.forEach(([x, y], i) => {
          const { sx, sy } = this.imageToScreen(x, y);
          if (i === 0) {
            context.moveTo(sx, sy);
          } else {
            context.lineTo(sx, sy);
          }
        });
        context.stroke();
        const label = this._labelPoint(line);
        if (label) {
          context.fillText(line.label, label.sx + 3, label.sy - 3);
        }
      }
      context.restore();
    }
    if (this._markers) {
      context.save();
      context.strokeStyle =
        style.getPropertyValue('--esap-view-marker').trim() || '#ff5252';
      context.lineWidth = 1.5;
      for (const marker of this._markers) {
        const { sx, sy } = this.imageToScreen(marker.x, marker.y);
        context.beginPath();
        context.arc(sx, sy, 6, 0, 2 * Math.PI);
        context.stroke();
      }
      context.restore();
    }
    const selection = this._dragging ?? this._selection;
    if (selection) {
      context.save();
      context.strokeStyle =
        style.getPropertyValue('--esap-view-selection').trim() || '#ffeb3b';
      context.setLineDash([6, 4]);
      context.lineWidth = 1.5;
      const a = this.imageToScreen(selection.x0, selection.y0);
      const b = this.imageToScreen(selection.x1, selection.y1);
      context.beginPath();
      if (selection.shape === 'circle') {
        context.arc(a.sx, a.sy, Math.hypot(b.sx - a.sx, b.sy - a.sy), 0, 7);
      } else {
        context.rect(a.sx, a.sy, b.sx - a.sx, b.sy - a.sy);
      }
      context.stroke();
      context.restore();
    }
  }

  /** Where a grid line's label goes: its first point well inside the canvas. */
  private _labelPoint(line: IGridLine): { sx: number; sy: number } | null {
    const { width, height } = this._cssSize();
    for (const [x, y] of line.points) {
      const point = this.imageToScreen(x, y);
      if (
        point.sx > 4 &&
        point.sy > 14 &&
        point.sx < width - 60 &&
        point.sy < height - 4
      ) {
        return point;
      }
    }
    return null;
  }

  private _local(event: MouseEvent): { sx: number; sy: number } {
    const box = this.node.getBoundingClientRect();
    return { sx: event.clientX - box.left, sy: event.clientY - box.top };
  }

  private _onWheel = (event: WheelEvent): void => {
    if (!this._size) {
      return;
    }
    event.preventDefault();
    const steps = Math.max(-5, Math.min(5, -event.deltaY / 100));
    this.zoom(ZOOM_STEP ** steps, this._local(event));
  };

  private _onPointerDown = (event: PointerEvent): void => {
    if (event.button !== 0 || !this._size) {
      return;
    }
    this.node.focus();
    this.node.setPointerCapture(event.pointerId);
    const at = this._local(event);
    this._press = { ...at, cu: this._cu, cv: this._cv };
    if (this._mode !== 'pan') {
      const start = this.screenToImage(at.sx, at.sy);
      this._dragging = {
        shape: this._mode,
        x0: start.x,
        y0: start.y,
        x1: start.x,
        y1: start.y
      };
    }
  };

  private _onPointerMove = (event: PointerEvent): void => {
    const at = this._local(event);
    const press = this._press;
    if (press) {
      if (this._dragging) {
        const here = this.screenToImage(at.sx, at.sy);
        this._dragging = { ...this._dragging, x1: here.x, y1: here.y };
        this.update();
      } else {
        this._cu = press.cu - (at.sx - press.sx) / this._scale;
        this._cv = press.cv - (at.sy - press.sy) / this._scale;
        this._changed();
      }
    }
    this._pointerMoved.emit(this.screenToImage(at.sx, at.sy));
  };

  private _onPointerUp = (): void => {
    if (!this._press) {
      return;
    }
    this._press = null;
    const drawn = this._dragging;
    this._dragging = null;
    if (drawn) {
      const size = Math.hypot(drawn.x1 - drawn.x0, drawn.y1 - drawn.y0);
      this._selection = size * this._scale > 3 ? drawn : null;
      this._selectionChanged.emit(this._selection);
      this.update();
    }
  };

  private _onPointerLeave = (): void => {
    if (!this._press) {
      this._pointerMoved.emit(null);
    }
  };

  private _onKey = (event: KeyboardEvent): void => {
    if (event.key === '+' || event.key === '=') {
      this.zoomIn();
    } else if (event.key === '-') {
      this.zoomOut();
    } else if (event.key === '0') {
      this.fit();
    } else if (event.key === 'Escape') {
      this.clearSelection();
    }
  };

  private _api: ViewAPI;
  private _canvas: HTMLCanvasElement;
  private _source: ViewSource | null = null;
  private _size: {
    width: number;
    height: number;
    levels: number;
    tile: number;
  } | null = null;
  private _version = '';
  private _plane = 0;
  private _scaleOptions: IScaleOptions = {
    interval: 'zscale',
    stretch: 'linear',
    cmap: 'gray'
  };
  private _scale = 1;
  private _cu = 0;
  private _cv = 0;
  private _fitted = false;
  private _mode: PointerMode = 'pan';
  private _tiles = new Map<string, ITileEntry>();
  private _drawn = 0;
  private _grid: IGridLine[] | null = null;
  private _markers: IMarker[] | null = null;
  private _selection: ISelection | null = null;
  private _dragging: ISelection | null = null;
  private _press: { sx: number; sy: number; cu: number; cv: number } | null =
    null;
  private _resize = new ResizeObserver(() => this.update());
  private _pointerMoved = new Signal<this, { x: number; y: number } | null>(
    this
  );
  private _selectionChanged = new Signal<this, ISelection | null>(this);
  private _viewChanged = new Signal<this, void>(this);
  private _tileFailed = new Signal<this, string>(this);
}
