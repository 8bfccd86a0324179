import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IJob, JobsAPI } from '../jobs';
import { API_NAMESPACE, EsapAPIError, requestAPI } from '../request';

/**
 * The file a viewer shows: a `path` in the home or a fetched `product`.
 */
export type ViewSource = { path: string } | { product: string };

/** One HDU of the file (`GET view/info`). */
export interface IViewHdu {
  index: number;
  name: string;
  kind: string;
  shape: number[];
  image: boolean;
}

/** What the viewer needs to show a file (`GET view/info`). */
export interface IViewInfo {
  name: string;
  hdu: number;
  hdus: IViewHdu[];
  shape: number[];
  width: number;
  height: number;
  planes: number;
  bitpix: number;
  bunit: string | null;
  memory_mapped: boolean;
  tile_size: number;
  levels: number;
  wcs: { frame: string | null; ctypes: string[] } | null;
  no_wcs: string | null;
  spectral: {
    ctype: string;
    unit: string;
    values: number[];
    wavelengths: number[] | null;
  } | null;
  header: string;
  notes: string[];
  version: string;
}

/** What is under the pointer (`GET view/world`). */
export interface IViewWorld {
  x: number;
  y: number;
  plane: number;
  value: number | null;
  unit: string | null;
  world: {
    ra: number;
    dec: number;
    ra_hms: string;
    dec_dms: string;
    frame: string | null;
    lon?: number;
    lat?: number;
  } | null;
  no_wcs: string | null;
  spectral?: { value: number; unit: string; ctype: string };
}

/** One grid line, as a pixel polyline (`GET view/grid`). */
export interface IGridLine {
  axis: 'lon' | 'lat';
  value: number;
  label: string;
  points: [number, number][];
}

/** A result's rows on the image (`POST view/overlay`). */
export interface IOverlay {
  result_id: string;
  total: number;
  read: number;
  on_image: number;
  shown: number;
  points: { row: number; x: number; y: number }[];
}

/** A selection as a region of the sky (`POST view/region`). */
export interface IRegion {
  shape: 'box' | 'circle';
  ra: number;
  dec: number;
  radius?: number;
  width?: number;
  height?: number;
  band?: [number, number];
}

/** How a tile's values become pixels. */
export interface IScaleOptions {
  interval: string;
  stretch: string;
  cmap: string;
}

/** A remote product being fetched for the viewer: a job of kind `view`. */
export type IViewJob = IJob<
  { access_url: string; format: string | null; title: string | null },
  {
    product: string;
    name: string | null;
    size: number | null;
    title: string | null;
  }
>;

/** What a product to fetch says of itself (a result row's or basket item's fields). */
export interface IProductInput {
  access_url: string;
  format?: string | null;
  size?: number | null;
  checksum?: string | null;
  title?: string | null;
  service?: string | null;
}

/**
 * The viewer's part of the ESAP REST API (`view/*`, `jobs/view`). Every
 * sky coordinate is computed by the server (astropy.wcs); tiles are PNGs
 * fetched with the page's credentials and decoded off the main thread.
 */
export class ViewAPI {
  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings ?? ServerConnection.makeSettings();
    this._jobs = new JobsAPI(this.settings);
  }

  readonly settings: ServerConnection.ISettings;

  info(source: ViewSource): Promise<IViewInfo> {
    return requestAPI<IViewInfo>(
      `view/info?${query(source)}`,
      {},
      this.settings
    );
  }

  limits(
    source: ViewSource,
    plane: number,
    interval: string
  ): Promise<{ vmin: number; vmax: number }> {
    return requestAPI(
      `view/limits?${query(source, { plane, interval })}`,
      {},
      this.settings
    );
  }

  world(
    source: ViewSource,
    x: number,
    y: number,
    plane: number
  ): Promise<IViewWorld> {
    return requestAPI<IViewWorld>(
      `view/world?${query(source, { x, y, plane })}`,
      {},
      this.settings
    );
  }

  async grid(
    source: ViewSource,
    box: [number, number, number, number]
  ): Promise<IGridLine[]> {
    const [x0, y0, x1, y1] = box;
    const answer = await requestAPI<{ lines: IGridLine[] }>(
      `view/grid?${query(source, { x0, y0, x1, y1 })}`,
      {},
      this.settings
    );
    return answer.lines;
  }

  overlay(source: ViewSource, resultId: string): Promise<IOverlay> {
    return requestAPI<IOverlay>(
      'view/overlay',
      {
        method: 'POST',
        body: JSON.stringify({ ...source, result_id: resultId })
      },
      this.settings
    );
  }

  region(
    source: ViewSource,
    shape: 'box' | 'circle',
    corners: [number, number, number, number],
    plane: number
  ): Promise<IRegion> {
    const [x0, y0, x1, y1] = corners;
    return requestAPI<IRegion>(
      'view/region',
      {
        method: 'POST',
        body: JSON.stringify({ ...source, shape, x0, y0, x1, y1, plane })
      },
      this.settings
    );
  }

  /**
   * One tile as a bitmap; `null` when the request was aborted.
   *
   * @throws {EsapAPIError} When the server refuses it.
   */
  async tile(
    source: ViewSource,
    tile: { plane: number; level: number; x: number; y: number },
    scale: IScaleOptions,
    version: string,
    signal?: AbortSignal
  ): Promise<ImageBitmap | null> {
    const url = URLExt.join(
      this.settings.baseUrl,
      API_NAMESPACE,
      `view/tile?${query(source, { ...tile, ...scale, v: version })}`
    );
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        { signal },
        this.settings
      );
    } catch (reason) {
      if (signal?.aborted) {
        return null;
      }
      throw EsapAPIError.from(reason, 'Check that your server still runs.');
    }
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      let fix = 'Try again.';
      try {
        const body = await response.json();
        message = body.error?.message ?? message;
        fix = body.error?.fix ?? fix;
      } catch {
        // not the API's error body: the status says it
      }
      throw new EsapAPIError({
        code: 'tile_failed',
        message,
        fix,
        status: response.status
      });
    }
    return createImageBitmap(await response.blob());
  }

  /** Start fetching a remote product (or follow the fetch of it already running). */
  fetchProduct(product: IProductInput): Promise<IViewJob> {
    return this._jobs.start('view', product);
  }

  private _jobs: JobsAPI;
}

/** The query string of a viewer request: the source, then the other arguments. */
function query(
  source: ViewSource,
  extra: Record<string, string | number> = {}
): string {
  const params = new URLSearchParams();
  if ('path' in source) {
    params.set('path', source.path);
  } else {
    params.set('product', source.product);
  }
  for (const [key, value] of Object.entries(extra)) {
    params.set(key, String(value));
  }
  return params.toString();
}
