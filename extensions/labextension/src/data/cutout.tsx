import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  Notification,
  ReactWidget,
  showDialog
} from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { cutIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IJob, JobFollower, JobsAPI } from '../jobs';
import { EsapAPIError, requestAPI } from '../request';
import { DataResultsWidget, ServiceResultView } from './results';

/** The command ids of cutouts. */
export namespace CutoutCommandIDs {
  export const cutSelection = 'esap:data-cutout-selection';
}

/**
 * Where a cutout starts: a centre (degrees, ICRS), a circle's radius or a
 * box's width and height (degrees), and a cube's band (metres).
 */
export interface ICutoutPreset {
  ra: number;
  dec: number;
  radius?: number;
  width?: number;
  height?: number;
  band?: [number, number];
}

/** What `POST data/cutouts/options` answers: what the product's SODA service can cut. */
export interface ICutoutOptions {
  service: string;
  product: string;
  did: string | null;
  shapes: ('circle' | 'box')[];
  /** [ra, dec]: the row's own position. */
  centre: number[] | null;
  /** [ra, dec, radius] of the circle covering the product. */
  covering: number[] | null;
  footprint: number[][] | null;
  /** [low, high] wavelengths a cube spans, metres; null for an image. */
  band: number[] | null;
  time: number[] | null;
}

/** What `POST jobs/cutout` takes. */
export interface ICutoutRequest {
  item: Record<string, unknown>;
  ra: number;
  dec: number;
  radius?: number;
  box?: [number, number];
  band?: [number, number];
  to?: string;
  basket?: boolean;
}

/** A cutout job's result: the file (relative to the home) once written. */
export interface ICutoutResult {
  folder?: string;
  file?: string;
  product?: string;
  path?: string;
  size?: number;
  service?: string;
  url?: string;
  basket_item?: string | null;
}

export type CutoutJob = IJob<Record<string, unknown>, ICutoutResult>;

/** Ask the server what the product's cutout service can cut. */
export function cutoutOptions(
  item: Record<string, unknown>,
  settings?: ServerConnection.ISettings
): Promise<ICutoutOptions> {
  return requestAPI<ICutoutOptions>(
    'data/cutouts/options',
    { method: 'POST', body: JSON.stringify({ item }) },
    settings
  );
}

/** Metres shown as nanometres (a cube's band), and back. */
const NM = 1e9;

function numberOr(text: string): number | null {
  const value = Number(text.trim());
  return text.trim() === '' || !Number.isFinite(value) ? null : value;
}

function fixed(value: number | undefined | null, digits: number): string {
  return value === undefined || value === null ? '' : value.toFixed(digits);
}

function errorText(error: { message: string; fix?: string | null }): string {
  return error.fix && !error.message.includes(error.fix)
    ? `${error.message} — ${error.fix}`
    : error.message;
}

type Phase = 'loading' | 'ready' | 'refused' | 'running' | 'done' | 'error';

/** A labelled text input of the dialog; `className` marks it when its field is at fault. */
function TextField(props: {
  className: string;
  label: string;
  id: string;
  value: string;
  disabled: boolean;
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <label className={props.className}>
      {props.label}
      <input
        id={props.id}
        value={props.value}
        disabled={props.disabled}
        onChange={e => props.onChange(e.currentTarget.value)}
      />
    </label>
  );
}

/**
 * The Cut out form: the product's shapes and limits (asked of the server
 * first), the region, a cube's band, the destination, then the job's
 * progress and the file it wrote. Archive text is rendered as text.
 */
function CutoutForm(props: {
  app: JupyterFrontEnd;
  item: Record<string, unknown>;
  preset?: ICutoutPreset;
  trans: TranslationBundle;
}): JSX.Element {
  const { app, item, preset, trans } = props;
  const settings = app.serviceManager.serverSettings;
  const [phase, setPhase] = React.useState<Phase>('loading');
  const [options, setOptions] = React.useState<ICutoutOptions | null>(null);
  const [message, setMessage] = React.useState<string>('');
  const [field, setField] = React.useState<string | null>(null);
  const [shape, setShape] = React.useState<'circle' | 'box'>(
    preset && preset.width !== undefined && preset.height !== undefined
      ? 'box'
      : 'circle'
  );
  const [ra, setRa] = React.useState(fixed(preset?.ra, 6));
  const [dec, setDec] = React.useState(fixed(preset?.dec, 6));
  const [radius, setRadius] = React.useState(
    preset?.radius !== undefined ? String(preset.radius) : '0.05'
  );
  const [width, setWidth] = React.useState(
    preset?.width !== undefined ? String(preset.width) : '0.1'
  );
  const [height, setHeight] = React.useState(
    preset?.height !== undefined ? String(preset.height) : '0.1'
  );
  const [useBand, setUseBand] = React.useState(preset?.band !== undefined);
  const [bandLow, setBandLow] = React.useState(
    preset?.band ? fixed(preset.band[0] * NM, 3) : ''
  );
  const [bandHigh, setBandHigh] = React.useState(
    preset?.band ? fixed(preset.band[1] * NM, 3) : ''
  );
  const [folder, setFolder] = React.useState('cutouts');
  const [toBasket, setToBasket] = React.useState(false);
  const [job, setJob] = React.useState<CutoutJob | null>(null);

  React.useEffect(() => {
    let live = true;
    cutoutOptions(item, settings)
      .then(found => {
        if (!live) {
          return;
        }
        setOptions(found);
        if (!preset && found.centre) {
          setRa(fixed(found.centre[0], 6));
          setDec(fixed(found.centre[1], 6));
        }
        if (found.band && !preset?.band) {
          setBandLow(fixed(found.band[0] * NM, 3));
          setBandHigh(fixed(found.band[1] * NM, 3));
        }
        setShape(current =>
          found.shapes.includes(current) || found.shapes.length === 0
            ? current
            : found.shapes[0]
        );
        setPhase('ready');
      })
      .catch(reason => {
        if (!live) {
          return;
        }
        setMessage(errorText(EsapAPIError.from(reason, 'Reload the page.')));
        setPhase('refused');
      });
    return () => {
      live = false;
    };
  }, [item, preset, settings]);

  const start = async (): Promise<void> => {
    const centre = [numberOr(ra), numberOr(dec)];
    if (centre[0] === null || centre[1] === null) {
      setField(centre[0] === null ? 'ra' : 'dec');
      setMessage(trans.__('Give the centre as RA and Dec in degrees.'));
      return;
    }
    const body: ICutoutRequest = {
      item,
      ra: centre[0],
      dec: centre[1],
      to: folder.trim() || 'cutouts',
      basket: toBasket
    };
    if (shape === 'circle') {
      body.radius = numberOr(radius) ?? Number.NaN;
    } else {
      body.box = [
        numberOr(width) ?? Number.NaN,
        numberOr(height) ?? Number.NaN
      ];
    }
    if (options?.band && useBand) {
      const low = numberOr(bandLow);
      const high = numberOr(bandHigh);
      if (low === null || high === null) {
        setField('band');
        setMessage(trans.__('Give the band as two wavelengths in nm.'));
        return;
      }
      body.band = [low / NM, high / NM];
    }
    if (
      (body.radius !== undefined && !Number.isFinite(body.radius)) ||
      (body.box !== undefined && !body.box.every(Number.isFinite))
    ) {
      setField(shape === 'circle' ? 'radius' : 'box');
      setMessage(trans.__('Give the size in degrees.'));
      return;
    }
    setField(null);
    setMessage('');
    setPhase('running');
    const jobs = new JobsAPI(settings);
    let started: CutoutJob;
    try {
      started = await jobs.start<Record<string, unknown>, ICutoutResult>(
        'cutout',
        body
      );
    } catch (reason) {
      const error = EsapAPIError.from(reason, 'Reload the page.');
      setField(error.field);
      setMessage(errorText(error));
      setPhase('ready');
      return;
    }
    setJob(started);
    const follower = new JobFollower(started, { api: jobs, interval: 300 });
    follower.changed.connect((_, changed) => setJob(changed));
    try {
      const ended = await follower.done;
      setJob(ended);
      if (ended.state === 'done') {
        setPhase('done');
      } else {
        setField(ended.error?.field ?? null);
        setMessage(
          ended.error
            ? errorText(ended.error)
            : trans.__('The cutout was cancelled.')
        );
        setPhase('error');
      }
    } catch (reason) {
      setMessage(errorText(EsapAPIError.from(reason, 'Reload the page.')));
      setPhase('error');
    } finally {
      follower.dispose();
    }
  };

  const reveal = async (path: string): Promise<void> => {
    await app.commands.execute('filebrowser:go-to-path', { path });
  };

  const busy = phase === 'loading' || phase === 'running';
  const marked = (name: string): string =>
    field === name ? 'esap-Cutout-field esap-mod-error' : 'esap-Cutout-field';
  const progress = job?.progress;
  const result = job?.result ?? null;

  return (
    <div className="esap-Cutout-form" data-esap-cutout-state={phase}>
      <p className="esap-Cutout-product">
        {options
          ? trans.__(
              '%1 (%2), cut by its archive (SODA)',
              options.product,
              options.service || trans.__('DataLink')
            )
          : phase === 'loading'
            ? trans.__('Asking the archive what it can cut…')
            : null}
      </p>
      {phase === 'refused' ? null : (
        <>
          <fieldset className="esap-Cutout-shape" disabled={busy}>
            <legend>{trans.__('Region')}</legend>
            {(['circle', 'box'] as const).map(name => (
              <label key={name}>
                <input
                  type="radio"
                  name="esap-cutout-shape"
                  value={name}
                  data-esap-cutout-shape={name}
                  checked={shape === name}
                  disabled={options !== null && !options.shapes.includes(name)}
                  onChange={() => setShape(name)}
                />
                {name === 'circle' ? trans.__('Circle') : trans.__('Box')}
              </label>
            ))}
          </fieldset>
          <div className="esap-Cutout-grid">
            <TextField
              className={marked('ra')}
              label={trans.__('RA (deg)')}
              id="esap-cutout-ra"
              value={ra}
              disabled={busy}
              onChange={setRa}
            />
            <TextField
              className={marked('dec')}
              label={trans.__('Dec (deg)')}
              id="esap-cutout-dec"
              value={dec}
              disabled={busy}
              onChange={setDec}
            />
            {shape === 'circle' ? (
              <TextField
                className={marked('radius')}
                label={trans.__('Radius (deg)')}
                id="esap-cutout-radius"
                value={radius}
                disabled={busy}
                onChange={setRadius}
              />
            ) : (
              <>
                <TextField
                  className={marked('box')}
                  label={trans.__('Width (deg)')}
                  id="esap-cutout-width"
                  value={width}
                  disabled={busy}
                  onChange={setWidth}
                />
                <TextField
                  className={marked('box')}
                  label={trans.__('Height (deg)')}
                  id="esap-cutout-height"
                  value={height}
                  disabled={busy}
                  onChange={setHeight}
                />
              </>
            )}
          </div>
          {options?.band ? (
            <fieldset className={marked('band')} disabled={busy}>
              <legend>
                <label>
                  <input
                    type="checkbox"
                    id="esap-cutout-use-band"
                    checked={useBand}
                    onChange={e => setUseBand(e.currentTarget.checked)}
                  />
                  {trans.__(
                    'Band (nm; the cube spans %1–%2)',
                    fixed(options.band[0] * NM, 2),
                    fixed(options.band[1] * NM, 2)
                  )}
                </label>
              </legend>
              <input
                id="esap-cutout-band-low"
                aria-label={trans.__('Shortest wavelength (nm)')}
                value={bandLow}
                disabled={!useBand}
                onChange={e => setBandLow(e.currentTarget.value)}
              />
              <input
                id="esap-cutout-band-high"
                aria-label={trans.__('Longest wavelength (nm)')}
                value={bandHigh}
                disabled={!useBand}
                onChange={e => setBandHigh(e.currentTarget.value)}
              />
            </fieldset>
          ) : null}
          <div className="esap-Cutout-grid">
            <TextField
              className={marked('to')}
              label={trans.__('Folder in your home')}
              id="esap-cutout-folder"
              value={folder}
              disabled={busy}
              onChange={setFolder}
            />
            <label className="esap-Cutout-check">
              <input
                type="checkbox"
                id="esap-cutout-basket"
                checked={toBasket}
                disabled={busy}
                onChange={e => setToBasket(e.currentTarget.checked)}
              />
              {trans.__('Also add it to the basket')}
            </label>
          </div>
          <div className="esap-Cutout-actions">
            <button
              type="button"
              className="jp-mod-styled jp-mod-accept esap-Cutout-start"
              disabled={busy}
              onClick={() => void start()}
            >
              {trans.__('Cut out')}
            </button>
          </div>
        </>
      )}
      {phase === 'running' && progress ? (
        <div className="esap-Cutout-progress" aria-live="polite">
          <progress value={progress.done} max={progress.total ?? undefined} />
          <span>{progress.message}</span>
        </div>
      ) : null}
      {phase === 'done' && result?.path ? (
        <div className="esap-Cutout-done" data-esap-cutout-path={result.path}>
          <span>
            {trans.__(
              'Wrote %1 (%2 kB)%3',
              result.path,
              ((result.size ?? 0) / 1024).toFixed(1),
              result.basket_item ? trans.__(', and added it to the basket') : ''
            )}
          </span>
          <button
            type="button"
            className="jp-mod-styled esap-Cutout-open"
            onClick={() => void reveal(result.path ?? '')}
          >
            {trans.__('Show in the file browser')}
          </button>
        </div>
      ) : null}
      {message ? (
        <p className="esap-Cutout-message" role="alert">
          {message}
        </p>
      ) : null}
    </div>
  );
}

/** The dialog's body. */
export class CutoutDialogBody extends ReactWidget {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _item: Record<string, unknown>,
    private readonly _trans: TranslationBundle,
    private readonly _preset?: ICutoutPreset
  ) {
    super();
    this.addClass('esap-Cutout');
  }

  protected render(): JSX.Element {
    return (
      <CutoutForm
        app={this._app}
        item={this._item}
        preset={this._preset}
        trans={this._trans}
      />
    );
  }
}

/**
 * Open the Cut out dialog for `item` (a result row: its columns and
 * `service`, or a basket data item), starting from `preset` when given (the
 * image viewer's selection), else from the row's own position.
 */
export async function openCutoutDialog(
  app: JupyterFrontEnd,
  item: Record<string, unknown>,
  preset?: {
    ra: number;
    dec: number;
    radius?: number;
    width?: number;
    height?: number;
    band?: [number, number];
  }
): Promise<void> {
  const trans = nullTranslator.load('esap-hub');
  await showDialog({
    title: trans.__('Cut out'),
    body: new CutoutDialogBody(app, item, trans, preset),
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })],
    hasClose: true
  });
}

/** The current results tab of the Data panel, if it is one. */
function currentView(app: JupyterFrontEnd): ServiceResultView | null {
  const widget = app.shell.currentWidget;
  if (!(widget instanceof DataResultsWidget)) {
    return null;
  }
  const view = widget.content.tabs.currentWidget;
  return view instanceof ServiceResultView ? view : null;
}

/** Whether a result's rows name products (ObsCore, SIAv2): a DID or an access URL. */
function namesProducts(view: ServiceResultView): boolean {
  return view.model.columns.some(
    c =>
      c.name === 'obs_publisher_did' ||
      c.name === 'datalink_url' ||
      c.role === 'access_url'
  );
}

/**
 * "Cut out…" on the selected row of a Data panel result (an image or a
 * cube): the row's columns and its service are the item.
 */
export const cutoutPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:data-cutout',
  description:
    'Cut out part of an image or cube of a search result, through its archive (SODA).',
  autoStart: true,
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator | null): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    app.commands.addCommand(CutoutCommandIDs.cutSelection, {
      label: trans.__('Cut out…'),
      caption: trans.__(
        'Cut a circle or a box (and a band of a cube) of the selected image, through its archive'
      ),
      icon: cutIcon,
      isVisible: () => {
        const view = currentView(app);
        return view === null || namesProducts(view);
      },
      execute: async () => {
        const view = currentView(app);
        if (view === null) {
          return;
        }
        const rows = await view.selectedValues();
        if (rows.length === 0) {
          Notification.warning(
            trans.__('Select the row of an image or cube to cut out.'),
            { autoClose: 5000 }
          );
          return;
        }
        const item: Record<string, unknown> = {
          service: view.node.dataset.esapService ?? ''
        };
        view.model.columns.forEach((column, index) => {
          item[column.name] = rows[0][index];
        });
        await openCutoutDialog(app, item);
      }
    });
    app.contextMenu.addItem({
      command: CutoutCommandIDs.cutSelection,
      selector: '.esap-ServiceResult .esap-ResultGrid',
      rank: 20
    });
  }
};
