import type {
  IAladin,
  IAladinCatalog,
  IAladinOverlay,
  IAladinSource
} from 'aladin-lite';
import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { requestAPI } from '../request';
import { Cell, DataAPI } from './api';
import { PagedResultModel, ResultGrid } from './grid';
import { parseSRegion, SkyShape } from './sregion';

/**
 * The search cone drawn as the region, when the search had a position.
 */
export interface ISkyRegion {
  ra: number;
  dec: number;
  radius: number;
}

/**
 * `sky_view` from the hub's public config (`GET config`).
 */
export interface ISkySettings {
  enabled: boolean;
  hips: string;
  maxSources: number;
}

let settingsPromise: Promise<ISkySettings> | null = null;

/**
 * The hub's sky view settings, asked once per page; defaults when the
 * server predates them.
 */
export function skySettings(): Promise<ISkySettings> {
  if (!settingsPromise) {
    settingsPromise = requestAPI<Record<string, unknown>>('config').then(
      raw => {
        const sky =
          typeof raw.sky_view === 'object' && raw.sky_view !== null
            ? (raw.sky_view as Record<string, unknown>)
            : {};
        return {
          enabled: sky.enabled !== false,
          hips:
            typeof sky.hips === 'string' && sky.hips
              ? sky.hips
              : 'CDS/P/DSS2/color',
          maxSources:
            typeof sky.max_sources === 'number' ? sky.max_sources : 2000
        };
      }
    );
  }
  return settingsPromise;
}

function asNumber(value: Cell | undefined): number | null {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/**
 * The centre (mean direction) and a field of view holding every source.
 */
export function frameOf(
  sources: { ra: number; dec: number }[]
): { ra: number; dec: number; fov: number } | null {
  if (sources.length === 0) {
    return null;
  }
  const rad = Math.PI / 180;
  const vectors = sources.map(s => [
    Math.cos(s.dec * rad) * Math.cos(s.ra * rad),
    Math.cos(s.dec * rad) * Math.sin(s.ra * rad),
    Math.sin(s.dec * rad)
  ]);
  const sum = [0, 1, 2].map(i => vectors.reduce((t, v) => t + v[i], 0));
  const norm = Math.hypot(sum[0], sum[1], sum[2]);
  if (norm < 1e-9) {
    return { ra: 0, dec: 0, fov: 180 };
  }
  const centre = sum.map(x => x / norm);
  let widest = 0;
  for (const v of vectors) {
    const dot = v[0] * centre[0] + v[1] * centre[1] + v[2] * centre[2];
    widest = Math.max(widest, Math.acos(Math.min(1, Math.max(-1, dot))) / rad);
  }
  return {
    ra: (((Math.atan2(centre[1], centre[0]) / rad) % 360) + 360) % 360,
    dec: Math.asin(centre[2]) / rad,
    fov: Math.min(180, Math.max(0.05, widest * 2.5))
  };
}

/** The largest page the results API answers (`esap.data.results.MAX_LIMIT`). */
const MAX_LIMIT = 10_000;

/**
 * The sky view of one service's result: Aladin Lite over the hub's HiPS
 * survey, with the search region, a catalogue layer of the rows' positions
 * and their `s_region` footprints. A click on a source selects its row in
 * the grid; selecting a row selects its source.
 *
 * Aladin Lite (2.4 MB with its WebAssembly core) is imported only when a
 * sky view is first shown, as its own chunk. The node carries
 * `data-esap-sky-state` (`loading`, `ready`, `empty`, `off`, `error`),
 * `data-esap-sky-sources`, `data-esap-sky-footprints` and
 * `data-esap-sky-selected` (a row index), and holds `esapSky` = the Aladin
 * instance, its catalogue and its footprint overlay, for scripts and tests.
 * Each source's data holds its `row` and `label` (the `obs_id`, or the
 * first column).
 */
export class SkyView extends Widget {
  constructor(options: {
    api: DataAPI;
    model: PagedResultModel;
    grid: ResultGrid;
    region: ISkyRegion | null;
    trans: TranslationBundle;
  }) {
    super();
    this.addClass('esap-SkyView');
    this._api = options.api;
    this._model = options.model;
    this._grid = options.grid;
    this._region = options.region;
    this._trans = options.trans;
    this._sky = document.createElement('div');
    this._sky.className = 'esap-SkyView-sky';
    this._status = document.createElement('p');
    this._status.className = 'esap-SkyView-status';
    this._status.setAttribute('aria-live', 'polite');
    this.node.append(this._sky, this._status);
    this._setState('loading', this._trans.__('Loading the sky view…'));
    this._grid.selectionModel?.changed.connect(this._onGridSelection, this);
    this._model.stateChanged.connect(this._onQueryChanged, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._grid.selectionModel?.changed.disconnect(this._onGridSelection, this);
    this._model.stateChanged.disconnect(this._onQueryChanged, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._started) {
      this._started = true;
      void this._start();
    }
  }

  private async _start(): Promise<void> {
    try {
      const settings = await skySettings();
      if (!settings.enabled) {
        this._setState('off', '');
        this.hide();
        return;
      }
      this._settings = settings;
      const A = (await import('aladin-lite')).default;
      await A.init;
      if (this.isDisposed) {
        return;
      }
      const aladin = A.aladin(this._sky, {
        survey: settings.hips,
        hipsList: [settings.hips],
        fov: this._region ? Math.max(this._region.radius * 2.5, 0.05) : 60,
        target: this._region
          ? `${this._region.ra} ${this._region.dec}`
          : '0 +0',
        cooFrame: 'ICRS',
        // Aladin Lite reports each start-up (with the page's URL, which
        // names the user) to CDS unless told not to
        log: false,
        showReticle: false,
        showCooGridControl: false,
        showSimbadPointerControl: false,
        showShareControl: false,
        showContextMenu: false,
        showSettingsControl: false
      });
      this._aladin = aladin;
      if (this._region) {
        const regionLayer = A.graphicOverlay({
          name: this._trans.__('search region'),
          color: '#ffa000',
          lineWidth: 2
        });
        aladin.addOverlay(regionLayer);
        regionLayer.add(
          A.circle(this._region.ra, this._region.dec, this._region.radius)
        );
      }
      this._footprints = A.graphicOverlay({
        name: this._trans.__('footprints'),
        color: '#00bcd4',
        lineWidth: 1
      });
      aladin.addOverlay(this._footprints);
      this._catalog = A.catalog({
        name: this._trans.__('results'),
        shape: 'circle',
        sourceSize: 14,
        color: '#e91e63',
        onClick: null
      });
      aladin.addCatalog(this._catalog);
      aladin.on('objectClicked', object => this._onSkyClick(object));
      (this.node as HTMLElement & { esapSky?: unknown }).esapSky = {
        aladin,
        catalog: this._catalog,
        footprints: this._footprints
      };
      await this._draw();
    } catch (reason) {
      this._setState(
        'error',
        this._trans.__('The sky view could not start: %1', String(reason))
      );
    }
  }

  /**
   * Fetch the first `max_sources` rows in the grid's order and draw them.
   */
  private async _draw(): Promise<void> {
    const A = (await import('aladin-lite')).default;
    const catalog = this._catalog;
    const footprints = this._footprints;
    const settings = this._settings;
    if (!catalog || !footprints || !settings) {
      return;
    }
    const generation = ++this._generation;
    const model = this._model;
    const columns = model.columns;
    const raIndex = columns.findIndex(c => c.role === 'ra');
    const decIndex = columns.findIndex(c => c.role === 'dec');
    const labelIndex = Math.max(
      0,
      columns.findIndex(c => c.name.toLowerCase() === 'obs_id')
    );
    const regionIndex = columns.findIndex(
      c => c.role === 'region' || c.name.toLowerCase() === 's_region'
    );
    const limit = Math.min(settings.maxSources, MAX_LIMIT);
    const page = await this._api.page(model.resultId, {
      offset: 0,
      limit,
      sort: model.query.sort,
      order: model.query.order,
      filter: model.query.filter || null
    });
    if (generation !== this._generation || this.isDisposed) {
      return;
    }
    const sources: IAladinSource[] = [];
    const shapes: SkyShape[] = [];
    const problems: string[] = [];
    page.rows.forEach((row, index) => {
      const ra = raIndex >= 0 ? asNumber(row[raIndex]) : null;
      const dec = decIndex >= 0 ? asNumber(row[decIndex]) : null;
      if (ra !== null && dec !== null) {
        const label = row[labelIndex];
        sources.push(
          A.source(ra, dec, {
            row: index,
            label: label === null ? '' : String(label)
          })
        );
      }
      const text = regionIndex >= 0 ? row[regionIndex] : null;
      if (typeof text === 'string' && text.trim()) {
        const parsed = parseSRegion(text);
        if ('shapes' in parsed) {
          shapes.push(...parsed.shapes);
        } else {
          problems.push(parsed.error);
        }
      }
    });
    // a new query replaces every layer's content
    catalog.clear();
    footprints.removeAll();
    catalog.addSources(sources);
    for (const s of shapes) {
      footprints.add(
        s.kind === 'circle'
          ? A.circle(s.ra, s.dec, s.radius)
          : A.polygon(s.vertices)
      );
    }
    this._sources = sources;
    this.node.dataset.esapSkySources = String(sources.length);
    this.node.dataset.esapSkyFootprints = String(shapes.length);
    const parts: string[] = [];
    if (sources.length === 0 && shapes.length === 0) {
      this._setState(
        'empty',
        this._trans.__(
          'No row of this result has a sky position or footprint: nothing to show on the sky.'
        )
      );
      return;
    }
    parts.push(
      this._trans._n('%1 source', '%1 sources', sources.length),
      this._trans._n('%1 footprint', '%1 footprints', shapes.length)
    );
    if (page.total > page.rows.length) {
      parts.push(
        this._trans.__('first %1 of %2 rows', page.rows.length, page.total)
      );
    }
    if (problems.length > 0) {
      parts.push(
        this._trans._n(
          '%1 footprint not drawn (%2)',
          '%1 footprints not drawn (first: %2)',
          problems.length,
          problems[0]
        )
      );
    }
    this._setState('ready', parts.join(' · '));
    if (!this._region && this._aladin) {
      // an ADQL or job result has no search cone: look at the sources
      const view = frameOf(sources);
      if (view) {
        this._aladin.gotoRaDec(view.ra, view.dec);
        this._aladin.setFoV(view.fov);
      }
    }
    this._onGridSelection();
  }

  private _onQueryChanged(): void {
    const key = JSON.stringify(this._model.query);
    if (key !== this._queryKey) {
      this._queryKey = key;
      void this._draw();
    }
  }

  /** A click on a source selects its row (and shows it in the record pane). */
  private _onSkyClick(object: unknown): void {
    const data = (object as { data?: { row?: unknown } } | null)?.data;
    const row = typeof data?.row === 'number' ? data.row : null;
    const selection = this._grid.selectionModel;
    if (row === null || !selection) {
      return;
    }
    selection.select({
      r1: row,
      c1: 0,
      r2: row,
      c2: Math.max(0, this._model.columns.length - 1),
      cursorRow: row,
      cursorColumn: 0,
      clear: 'all'
    });
    this._grid.scrollToRow(row);
  }

  /** The grid's cursor row selects its source on the sky. */
  private _onGridSelection(): void {
    const aladin = this._aladin;
    if (!aladin) {
      return;
    }
    const cursor = this._grid.selectionModel?.cursorRow ?? -1;
    const source = this._sources.find(s => s.data.row === cursor) ?? null;
    if (source === this._selected) {
      return;
    }
    aladin.view.unselectObjects();
    this._selected = source;
    if (source) {
      aladin.view.selectObjects([[source]]);
      this.node.dataset.esapSkySelected = String(cursor);
    } else {
      delete this.node.dataset.esapSkySelected;
    }
    aladin.view.requestRedraw();
  }

  private _setState(state: string, text: string): void {
    this.node.dataset.esapSkyState = state;
    this._status.textContent = text;
  }

  private _api: DataAPI;
  private _model: PagedResultModel;
  private _grid: ResultGrid;
  private _region: ISkyRegion | null;
  private _trans: TranslationBundle;
  private _sky: HTMLDivElement;
  private _status: HTMLParagraphElement;
  private _started = false;
  private _settings: ISkySettings | null = null;
  private _aladin: IAladin | null = null;
  private _catalog: IAladinCatalog | null = null;
  private _footprints: IAladinOverlay | null = null;
  private _sources: IAladinSource[] = [];
  private _selected: IAladinSource | null = null;
  private _generation = 0;
  private _queryKey = JSON.stringify({ sort: null, order: 'asc', filter: '' });
}
