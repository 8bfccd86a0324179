import { ISignal, Signal } from '@lumino/signaling';

import { JobList } from '../jobs';
import { EsapAPIError } from '../request';
import {
  asQueryJob,
  DataAPI,
  IHistoryEntry,
  IJob,
  IQueryParams,
  IQueryResult,
  IRegistryEntry,
  ISearchRequest,
  IService
} from './api';
import { SearchRun } from './search';

/** Wavelength units of the band fields, in metres. */
export const BAND_UNITS: Record<string, number> = {
  Å: 1e-10,
  nm: 1e-9,
  µm: 1e-6,
  mm: 1e-3,
  cm: 1e-2,
  m: 1
};

/**
 * The search form as the user typed it (strings, so nothing they typed is
 * reformatted or lost when a search is refused).
 */
export interface IFormValues {
  mode: 'target' | 'coords';
  target: string;
  ra: string;
  dec: string;
  radius: string;
  bandMin: string;
  bandMax: string;
  bandUnit: string;
  timeStart: string;
  timeEnd: string;
  collection: string;
  text: string;
  maxrec: string;
}

export const EMPTY_FORM: IFormValues = {
  mode: 'target',
  target: '',
  ra: '',
  dec: '',
  radius: '0.1',
  bandMin: '',
  bandMax: '',
  bandUnit: 'nm',
  timeStart: '',
  timeEnd: '',
  collection: '',
  text: '',
  maxrec: ''
};

/**
 * A stored result seen in this session (a search's, an ADQL answer, a
 * cross-match's): what the cross-match can take as the user's table.
 */
export interface ISeenResult {
  resultId: string;
  label: string;
  total: number;
}

/**
 * The all-VO choice of the form: whether the search asks every service the
 * registry lists instead of the ticked ones, and which.
 */
export interface IAllVoChoice {
  on: boolean;
  types: ('tap' | 'sia2' | 'scs')[];
  keywords: string;
  waveband: string;
}

export const ALL_VO_OFF: IAllVoChoice = {
  on: false,
  types: ['tap', 'sia2', 'scs'],
  keywords: '',
  waveband: ''
};

/** Field errors, keyed by request field (`target`, `radius`, `band`, …). */
export type FieldErrors = Record<string, string>;

/** The request fields the form shows an error under. */
const FORM_FIELDS = new Set([
  'target',
  'ra',
  'dec',
  'radius',
  'band',
  'time',
  'collection',
  'text',
  'maxrec',
  'services'
]);

/**
 * The text shown under a field the server refused: `field: message — fix`,
 * as the form words its own checks (servers that put the field in the
 * message already are not repeated).
 */
function fieldMessage(field: string, error: EsapAPIError): string {
  const message = error.message.startsWith(`${field}:`)
    ? error.message
    : `${field}: ${error.message}`;
  return message + (error.fix ? ` — ${error.fix}` : '');
}

function parseNumber(
  raw: string,
  field: string,
  errors: FieldErrors,
  hint: string
): number | null {
  const text = raw.trim();
  if (!text) {
    return null;
  }
  const value = Number(text);
  if (!Number.isFinite(value)) {
    errors[field] = `${field}: ${text}: not a number — ${hint}`;
    return null;
  }
  return value;
}

/**
 * Turn the form into a `SearchRequest`, or say which fields are wrong.
 * Only what the browser can tell is checked here (numbers are numbers);
 * ranges and dates are the server's to judge, and it names the field.
 */
export function buildRequest(
  form: IFormValues,
  services: string[] | null,
  params: Record<string, Record<string, unknown>>
): { request: ISearchRequest | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const radius = parseNumber(
    form.radius,
    'radius',
    errors,
    'give a radius in degrees, e.g. 0.1'
  );
  let ra: number | null = null;
  let dec: number | null = null;
  if (form.mode === 'coords') {
    ra = parseNumber(form.ra, 'ra', errors, 'give RA in degrees, e.g. 10.68');
    dec = parseNumber(
      form.dec,
      'dec',
      errors,
      'give Dec in degrees, e.g. 41.27'
    );
    if ((ra === null) !== (dec === null) && !errors.ra && !errors.dec) {
      errors[ra === null ? 'ra' : 'dec'] =
        `${ra === null ? 'ra' : 'dec'}: missing — give both RA and Dec in degrees`;
    }
  }
  const bandMin = parseNumber(
    form.bandMin,
    'band',
    errors,
    'give wavelengths as numbers'
  );
  const bandMax = parseNumber(
    form.bandMax,
    'band',
    errors,
    'give wavelengths as numbers'
  );
  let band: [number, number] | null = null;
  if (bandMin !== null || bandMax !== null) {
    const factor = BAND_UNITS[form.bandUnit] ?? 1;
    if (bandMin === null || bandMax === null) {
      errors.band = 'band: give both the shortest and the longest wavelength';
    } else {
      band = [bandMin * factor, bandMax * factor];
    }
  }
  let time: [string, string] | null = null;
  if (form.timeStart.trim() || form.timeEnd.trim()) {
    if (!form.timeStart.trim() || !form.timeEnd.trim()) {
      errors.time =
        'time: give both a start and an end (ISO 8601 like 2020-01-31, or MJD)';
    } else {
      time = [form.timeStart.trim(), form.timeEnd.trim()];
    }
  }
  const maxrec = parseNumber(
    form.maxrec,
    'maxrec',
    errors,
    'give a whole number of rows, e.g. 1000'
  );
  if (services !== null && services.length === 0) {
    errors.services = 'services: none chosen — tick at least one service';
  }
  if (Object.keys(errors).length > 0) {
    return { request: null, errors };
  }
  const usedParams: Record<string, Record<string, unknown>> = {};
  for (const name of services ?? Object.keys(params)) {
    const values = params[name];
    if (values && Object.keys(values).length > 0) {
      usedParams[name] = values;
    }
  }
  return {
    request: {
      services,
      target:
        form.mode === 'target' && form.target.trim()
          ? form.target.trim()
          : null,
      ra,
      dec,
      radius: radius ?? 0.1,
      band,
      time,
      collection: form.collection.trim() || null,
      text: form.text.trim() || null,
      maxrec: maxrec === null ? null : Math.round(maxrec),
      params: Object.keys(usedParams).length > 0 ? usedParams : null
    },
    errors
  };
}

/**
 * The form values that reproduce a past request (history → form).
 */
export function formFromRequest(request: Partial<ISearchRequest>): IFormValues {
  const form: IFormValues = { ...EMPTY_FORM };
  if (request.target) {
    form.mode = 'target';
    form.target = request.target;
  } else if (request.ra !== null && request.ra !== undefined) {
    form.mode = 'coords';
    form.ra = String(request.ra);
    form.dec = String(request.dec ?? '');
  }
  if (request.radius !== null && request.radius !== undefined) {
    form.radius = String(request.radius);
  }
  if (request.band) {
    const factor = BAND_UNITS.nm;
    form.bandUnit = 'nm';
    form.bandMin = String(Number((request.band[0] / factor).toPrecision(10)));
    form.bandMax = String(Number((request.band[1] / factor).toPrecision(10)));
  }
  if (request.time) {
    form.timeStart = request.time[0];
    form.timeEnd = request.time[1];
  }
  form.collection = request.collection ?? '';
  form.text = request.text ?? '';
  form.maxrec = request.maxrec ? String(request.maxrec) : '';
  return form;
}

/**
 * Everything the Data panel shows: the services, the form, the running
 * search, history, jobs and registry hits. Views re-render on `changed`.
 */
export class DataPanelModel {
  constructor(api: DataAPI) {
    this.api = api;
    this._queries = new JobList('query', {
      api: api.queries,
      first: 1000,
      longest: 30000,
      factor: 1.5
    });
    this._queries.changed.connect(() => this._emit());
  }

  readonly api: DataAPI;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** A search started (the plugin opens its results widget). */
  get searchStarted(): ISignal<this, SearchRun> {
    return this._searchStarted;
  }

  // ------------------------------------------------------------ services

  services: IService[] | null = null;
  servicesError: EsapAPIError | null = null;
  /** Names of the services ticked for the next search. */
  chosen = new Set<string>();

  async loadServices(): Promise<void> {
    try {
      const services = await this.api.services();
      const known = new Set((this.services ?? []).map(s => s.name));
      for (const service of services) {
        // enabled services start ticked; the user's choice is kept on reload
        if (
          !known.has(service.name) &&
          service.enabled &&
          service.capabilities.includes('search')
        ) {
          this.chosen.add(service.name);
        }
      }
      const names = new Set(services.map(s => s.name));
      for (const name of [...this.chosen]) {
        if (!names.has(name)) {
          this.chosen.delete(name);
        }
      }
      this.services = services;
      this.servicesError = null;
    } catch (reason) {
      this.servicesError = EsapAPIError.from(
        reason,
        'Reload the services; if it keeps failing, ask your hub admin.'
      );
    }
    this._emit();
  }

  /** The services that take part in a federated search. */
  get searchableServices(): IService[] | null {
    return this.services
      ? this.services.filter(s => s.capabilities.includes('search'))
      : null;
  }

  toggleService(name: string, on: boolean): void {
    if (on) {
      this.chosen.add(name);
    } else {
      this.chosen.delete(name);
    }
    this._emit();
  }

  // ------------------------------------------------------------ the form

  form: IFormValues = { ...EMPTY_FORM };
  params: Record<string, Record<string, unknown>> = {};
  fieldErrors: FieldErrors = {};
  formError: EsapAPIError | null = null;

  setForm(values: Partial<IFormValues>): void {
    this.form = { ...this.form, ...values };
    for (const key of Object.keys(values)) {
      const field = key.startsWith('band')
        ? 'band'
        : key.startsWith('time')
          ? 'time'
          : key;
      delete this.fieldErrors[field];
      if (key === 'mode') {
        delete this.fieldErrors.target;
        delete this.fieldErrors.ra;
        delete this.fieldErrors.dec;
      }
    }
    this._emit();
  }

  /** Search the whole VO (the registry's services) instead of the ticked ones. */
  allVo: IAllVoChoice = { ...ALL_VO_OFF };

  setAllVo(values: Partial<IAllVoChoice>): void {
    this.allVo = { ...this.allVo, ...values };
    delete this.fieldErrors.services;
    this._emit();
  }

  setParams(service: string, values: Record<string, unknown>): void {
    this.params = { ...this.params, [service]: values };
    this._emit();
  }

  /**
   * Fill the form from a past request (a history entry).
   */
  fill(request: Partial<ISearchRequest>): void {
    this.form = formFromRequest(request);
    this.params = { ...(request.params ?? {}) };
    if (request.services && this.services) {
      this.chosen = new Set(request.services);
    }
    this.allVo = request.all_vo
      ? {
          on: true,
          types: [...request.all_vo.types],
          keywords: request.all_vo.keywords ?? '',
          waveband: request.all_vo.waveband ?? ''
        }
      : { ...ALL_VO_OFF };
    this.fieldErrors = {};
    this.formError = null;
    this._emit();
  }

  // ------------------------------------------------------------ searching

  run: SearchRun | null = null;
  private _abort: AbortController | null = null;

  /**
   * Search every chosen service. A refused search (bad field, unknown
   * target) leaves the form as it was and shows the message under the
   * field it names.
   */
  async search(): Promise<SearchRun | null> {
    const all = (this.searchableServices ?? []).map(s => s.name);
    const chosen = all.filter(name => this.chosen.has(name));
    const allVo = this.allVo.on ? this.allVo : null;
    const { request, errors } = buildRequest(
      this.form,
      this.services && !allVo ? chosen : null,
      allVo ? {} : this.params
    );
    if (allVo && request) {
      if (allVo.types.length === 0) {
        errors.services =
          'services: no service type chosen — tick ObsCore TAP, SIAv2 or cone search';
      }
      request.all_vo = {
        types: allVo.types,
        keywords: allVo.keywords.trim() || null,
        waveband: allVo.waveband || null
      };
    }
    if (Object.keys(errors).length > 0) {
      this.fieldErrors = errors;
      this.formError = null;
      this._emit();
      return null;
    }
    this.fieldErrors = errors;
    this.formError = null;
    if (!request) {
      this._emit();
      return null;
    }
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    const run = new SearchRun(request);
    this.run = run;
    const what =
      request.target ??
      (request.ra !== null ? `${request.ra}, ${request.dec}` : null);
    run.resultAdded.connect((_, source) =>
      this.rememberResult({
        resultId: source.resultId,
        label: what ? `${source.service}: ${what}` : source.service,
        total: source.total
      })
    );
    let announced = false;
    run.changed.connect(() => {
      if (!announced && run.searchId !== null) {
        announced = true;
        this._searchStarted.emit(run);
      }
      this._emit();
    });
    this._emit();
    await run.run(this.api, abort.signal);
    if (run.error) {
      const field = run.error.field;
      if (field && FORM_FIELDS.has(field)) {
        this.fieldErrors = { [field]: fieldMessage(field, run.error) };
      } else {
        this.formError = run.error;
      }
      if (!announced) {
        this.run = null;
      }
    }
    this._emit();
    void this.loadHistory();
    return announced ? run : null;
  }

  cancel(): void {
    this._abort?.abort();
  }

  // ------------------------------------------------------------ results seen

  /** The stored results seen in this session, newest first. */
  seenResults: ISeenResult[] = [];

  /** Remember a stored result (the cross-match offers it as the user's table). */
  rememberResult(result: ISeenResult): void {
    if (this.seenResults.some(r => r.resultId === result.resultId)) {
      return;
    }
    this.seenResults = [result, ...this.seenResults].slice(0, 50);
    this._emit();
  }

  // ------------------------------------------------------------ history

  history: IHistoryEntry[] | null = null;
  historyError: EsapAPIError | null = null;

  async loadHistory(): Promise<void> {
    try {
      this.history = await this.api.history(50);
      this.historyError = null;
    } catch (reason) {
      this.historyError = EsapAPIError.from(reason, 'Reload the history.');
    }
    this._emit();
  }

  // ------------------------------------------------------------ jobs

  /** The asynchronous queries, newest first (`null` before the first read). */
  get jobs(): IJob[] | null {
    return this._queries.jobs?.map(asQueryJob) ?? null;
  }

  get jobsError(): EsapAPIError | null {
    return this._queries.error;
  }

  /** Read the jobs, and again while one runs (see `_queries`). */
  loadJobs(): Promise<void> {
    return this._queries.refresh();
  }

  async submitJob(
    service: string,
    query: string,
    maxrec?: number
  ): Promise<IJob> {
    const job = await this.api.submitJob(service, query, maxrec);
    await this.loadJobs();
    return job;
  }

  async deleteJob(id: string): Promise<void> {
    await this.api.deleteJob(id);
    await this.loadJobs();
  }

  /**
   * The job list, read again while a job runs: after 1 s, then backing off
   * by half again each time up to 30 s; a new job restarts at 1 s.
   */
  private _queries: JobList<IQueryParams, IQueryResult>;

  // ------------------------------------------------------------ registry

  registryHits: IRegistryEntry[] | null = null;
  registryError: EsapAPIError | null = null;
  registryBusy = false;

  async searchRegistry(query: {
    keywords: string;
    servicetype: string;
    waveband: string;
  }): Promise<void> {
    this.registryBusy = true;
    this._emit();
    try {
      this.registryHits = await this.api.registry(query);
      this.registryError = null;
    } catch (reason) {
      this.registryError = EsapAPIError.from(
        reason,
        'Change the keywords or try again later.'
      );
    }
    this.registryBusy = false;
    this._emit();
  }

  async addService(entry: IRegistryEntry, name: string): Promise<IService> {
    const service = await this.api.addService({
      name,
      type: entry.type,
      url: entry.url,
      title: entry.title,
      description: entry.description
    });
    this.chosen.add(service.name);
    await this.loadServices();
    return service;
  }

  async removeService(name: string): Promise<void> {
    await this.api.removeService(name);
    this.chosen.delete(name);
    await this.loadServices();
  }

  dispose(): void {
    this._abort?.abort();
    this._queries.dispose();
    Signal.clearData(this);
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _searchStarted = new Signal<this, SearchRun>(this);
}

/**
 * A service name for a registry hit: its title in lower-case words joined
 * by dashes, made unique against the names in use.
 */
export function serviceNameFor(
  entry: IRegistryEntry,
  taken: Iterable<string>
): string {
  const base =
    entry.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/g, '') || 'service';
  const used = new Set(taken);
  let name = base;
  for (let i = 2; used.has(name); i++) {
    name = `${base}-${i}`;
  }
  return name;
}
