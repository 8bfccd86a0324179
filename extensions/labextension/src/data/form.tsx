import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  HTMLSelect,
  InputGroup,
  caretDownIcon,
  caretRightIcon,
  closeIcon
} from '@jupyterlab/ui-components';
import React from 'react';

import { AllVoChoice, AllVoProgress } from './allvo';
import { IService } from './api';
import { BAND_UNITS, DataPanelModel, IFormValues } from './model';
import { ServiceStatusList } from './results';

/** The input of a request field that has no input of the same name. */
const FIELD_INPUT: Record<string, string> = {
  band: 'bandMin',
  time: 'timeStart'
};

const ServiceParamsForm = React.lazy(() => import('./schemaform'));

function hasParams(service: IService): boolean {
  const properties = service.query_schema?.properties;
  return (
    typeof properties === 'object' &&
    properties !== null &&
    Object.keys(properties).length > 0
  );
}

/**
 * One labelled input, with the error the server (or the form) gave for
 * its field shown under it, as text.
 */
function Field(props: {
  field: keyof IFormValues;
  label: string;
  model: DataPanelModel;
  error?: string;
  placeholder?: string;
  title?: string;
  inputMode?: 'decimal' | 'text';
  onEnter: () => void;
}): JSX.Element {
  const { field, label, model, error, placeholder, title, inputMode, onEnter } =
    props;
  const id = `esap-data-${field}`;
  return (
    <div className={error ? 'esap-Field esap-mod-invalid' : 'esap-Field'}>
      <label htmlFor={id} className="esap-Field-label">
        {label}
      </label>
      <InputGroup
        id={id}
        name={field}
        className="esap-Field-input"
        value={model.form[field]}
        placeholder={placeholder}
        title={title}
        inputMode={inputMode}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={event =>
          model.setForm({ [field]: event.currentTarget.value })
        }
        onKeyDown={event => {
          if (event.key === 'Enter') {
            onEnter();
          }
        }}
      />
    </div>
  );
}

function FieldError(props: {
  field: string;
  message?: string;
}): JSX.Element | null {
  if (!props.message) {
    return null;
  }
  return (
    <p
      className="esap-Field-error"
      id={`esap-data-${props.field}-error`}
      data-esap-field-error={props.field}
      role="alert"
    >
      {props.message}
    </p>
  );
}

function ServiceRow(props: {
  service: IService;
  model: DataPanelModel;
  trans: TranslationBundle;
  translator: ITranslator;
  onRemove: (service: IService) => void;
}): JSX.Element {
  const { service, model, trans, translator, onRemove } = props;
  const [open, setOpen] = React.useState(false);
  const checked = model.chosen.has(service.name);
  const id = `esap-data-service-${service.name.replace(/[^\w-]/g, '_')}`;
  const params = model.params[service.name] ?? {};
  const modified = Object.keys(params).length > 0;
  return (
    <li
      className="esap-ServiceRow"
      data-esap-service={service.name}
      data-esap-source={service.source}
    >
      <div className="esap-ServiceRow-line">
        <input
          type="checkbox"
          id={id}
          checked={checked}
          onChange={event =>
            model.toggleService(service.name, event.currentTarget.checked)
          }
        />
        <label
          htmlFor={id}
          className="esap-ServiceRow-label"
          title={service.description || service.url}
        >
          <span className="esap-ServiceRow-title">
            {service.title ?? service.name}
          </span>
          <span className="esap-Tag">{service.type}</span>
          {service.source === 'user' && (
            <span className="esap-Tag esap-Tag-user">{trans.__('mine')}</span>
          )}
          {!service.enabled && (
            <span className="esap-Tag esap-Tag-off">{trans.__('off')}</span>
          )}
          {service.error && (
            <span className="esap-Tag esap-Tag-broken" title={service.error}>
              {trans.__('unavailable')}
            </span>
          )}
        </label>
        {hasParams(service) && (
          <button
            type="button"
            className={
              modified ? 'esap-IconButton esap-mod-active' : 'esap-IconButton'
            }
            title={trans.__('Options of %1', service.name)}
            aria-expanded={open}
            onClick={() => setOpen(!open)}
          >
            {open ? (
              <caretDownIcon.react tag="span" />
            ) : (
              <caretRightIcon.react tag="span" />
            )}
          </button>
        )}
        {service.source === 'user' && (
          <button
            type="button"
            className="esap-IconButton"
            title={trans.__('Remove %1 from my services', service.name)}
            onClick={() => onRemove(service)}
          >
            <closeIcon.react tag="span" />
          </button>
        )}
      </div>
      {open && (
        <React.Suspense
          fallback={
            <p className="esap-Muted">{trans.__('Loading options…')}</p>
          }
        >
          <ServiceParamsForm
            service={service.name}
            schema={service.query_schema}
            value={params}
            translator={translator}
            onChange={value => model.setParams(service.name, value)}
          />
        </React.Suspense>
      )}
    </li>
  );
}

/**
 * The federated search form, the services to ask and each one's status.
 */
export function SearchForm(props: {
  model: DataPanelModel;
  trans: TranslationBundle;
  translator: ITranslator;
  onOpenInNotebook: () => void;
  onRemoveService: (service: IService) => void;
}): JSX.Element {
  const { model, trans, translator, onOpenInNotebook, onRemoveService } = props;
  const errors = model.fieldErrors;
  // a registry adapter finds services, it does not search data: not listed here
  const searchable = model.searchableServices;
  const running = model.run?.phase === 'running';
  const search = () => {
    if (running) {
      return;
    }
    void model.search().then(() => {
      // Bring the first refused field into view, with its message under it.
      const field = Object.keys(model.fieldErrors)[0];
      const input = field
        ? document.getElementById(`esap-data-${FIELD_INPUT[field] ?? field}`)
        : null;
      input?.scrollIntoView({ block: 'center' });
      input?.focus();
    });
  };
  const filters = [
    'bandMin',
    'bandMax',
    'timeStart',
    'timeEnd',
    'collection',
    'text',
    'maxrec'
  ] as const;
  const filtersUsed = filters.some(key => model.form[key].trim() !== '');
  const filterErrors = Boolean(
    errors.band ||
    errors.time ||
    errors.collection ||
    errors.text ||
    errors.maxrec
  );
  return (
    <form
      className="esap-SearchForm"
      onSubmit={event => {
        event.preventDefault();
        search();
      }}
      aria-label={trans.__('Search data services')}
    >
      <div
        className="esap-Segmented"
        role="radiogroup"
        aria-label={trans.__('Position')}
      >
        {(['target', 'coords'] as const).map(mode => (
          <button
            key={mode}
            type="button"
            role="radio"
            aria-checked={model.form.mode === mode}
            className={
              model.form.mode === mode
                ? 'esap-Segmented-item esap-mod-selected'
                : 'esap-Segmented-item'
            }
            data-esap-mode={mode}
            onClick={() => model.setForm({ mode })}
          >
            {mode === 'target' ? trans.__('Target name') : trans.__('RA / Dec')}
          </button>
        ))}
      </div>
      {model.form.mode === 'target' ? (
        <div className="esap-Row">
          <Field
            field="target"
            label={trans.__('Target')}
            model={model}
            error={errors.target}
            placeholder={trans.__('e.g. M31, NGC 1275')}
            onEnter={search}
          />
          <Field
            field="radius"
            label={trans.__('Radius (°)')}
            model={model}
            error={errors.radius}
            inputMode="decimal"
            onEnter={search}
          />
        </div>
      ) : (
        <div className="esap-Row">
          <Field
            field="ra"
            label={trans.__('RA (°)')}
            model={model}
            error={errors.ra}
            placeholder="10.68"
            inputMode="decimal"
            onEnter={search}
          />
          <Field
            field="dec"
            label={trans.__('Dec (°)')}
            model={model}
            error={errors.dec}
            placeholder="41.27"
            inputMode="decimal"
            onEnter={search}
          />
          <Field
            field="radius"
            label={trans.__('Radius (°)')}
            model={model}
            error={errors.radius}
            inputMode="decimal"
            onEnter={search}
          />
        </div>
      )}
      <FieldError field="target" message={errors.target} />
      <FieldError field="ra" message={errors.ra} />
      <FieldError field="dec" message={errors.dec} />
      <FieldError field="radius" message={errors.radius} />

      <details
        className="esap-Details"
        open={filtersUsed || filterErrors || undefined}
      >
        <summary>{trans.__('Wavelength, time, collection, text')}</summary>
        <div className="esap-Row">
          <Field
            field="bandMin"
            label={trans.__('λ from')}
            model={model}
            inputMode="decimal"
            onEnter={search}
          />
          <Field
            field="bandMax"
            label={trans.__('λ to')}
            model={model}
            inputMode="decimal"
            onEnter={search}
          />
          <div className="esap-Field esap-Field-unit">
            <label htmlFor="esap-data-bandUnit" className="esap-Field-label">
              {trans.__('Unit')}
            </label>
            <HTMLSelect
              id="esap-data-bandUnit"
              value={model.form.bandUnit}
              onChange={event =>
                model.setForm({ bandUnit: event.currentTarget.value })
              }
              options={Object.keys(BAND_UNITS)}
            />
          </div>
        </div>
        <FieldError field="band" message={errors.band} />
        <div className="esap-Row">
          <Field
            field="timeStart"
            label={trans.__('Time from')}
            model={model}
            placeholder="2020-01-01"
            title={trans.__('ISO 8601 date or MJD')}
            onEnter={search}
          />
          <Field
            field="timeEnd"
            label={trans.__('Time to')}
            model={model}
            placeholder="59000.5"
            title={trans.__('ISO 8601 date or MJD')}
            onEnter={search}
          />
        </div>
        <FieldError field="time" message={errors.time} />
        <div className="esap-Row">
          <Field
            field="collection"
            label={trans.__('Collection')}
            model={model}
            error={errors.collection}
            onEnter={search}
          />
          <Field
            field="maxrec"
            label={trans.__('Max rows')}
            model={model}
            error={errors.maxrec}
            inputMode="decimal"
            placeholder={trans.__('service default')}
            onEnter={search}
          />
        </div>
        <FieldError field="collection" message={errors.collection} />
        <FieldError field="maxrec" message={errors.maxrec} />
        <Field
          field="text"
          label={trans.__('Free text')}
          model={model}
          error={errors.text}
          placeholder={trans.__('words in titles and descriptions')}
          onEnter={search}
        />
        <FieldError field="text" message={errors.text} />
      </details>

      <fieldset className="esap-Services">
        <legend className="esap-Services-legend">{trans.__('Services')}</legend>
        <AllVoChoice model={model} trans={trans} />
        {model.servicesError && (
          <div className="esap-Error" role="alert">
            <p>{model.servicesError.message}</p>
            {model.servicesError.fix && (
              <p className="esap-Error-fix">{model.servicesError.fix}</p>
            )}
          </div>
        )}
        {model.services === null && !model.servicesError && (
          <p className="esap-Muted">{trans.__('Loading services…')}</p>
        )}
        {searchable !== null && searchable.length === 0 && (
          <p className="esap-Muted">
            {trans.__(
              'No data services yet: add one from the registry below, or ask your admin (data_services in esap.yaml).'
            )}
          </p>
        )}
        {!model.allVo.on && searchable !== null && searchable.length > 0 && (
          <ul className="esap-ServiceList">
            {searchable.map(service => (
              <ServiceRow
                key={service.name}
                service={service}
                model={model}
                trans={trans}
                translator={translator}
                onRemove={onRemoveService}
              />
            ))}
          </ul>
        )}
        <FieldError field="services" message={errors.services} />
      </fieldset>

      <div className="esap-Actions">
        <Button
          type="submit"
          className="jp-mod-styled jp-mod-accept esap-SearchButton"
          disabled={running}
        >
          {running ? trans.__('Searching…') : trans.__('Search')}
        </Button>
        {running ? (
          <Button
            type="button"
            className="jp-mod-styled jp-mod-reject"
            onClick={() => model.cancel()}
          >
            {trans.__('Stop')}
          </Button>
        ) : (
          <Button
            type="button"
            className="jp-mod-styled"
            disabled={!model.run}
            onClick={onOpenInNotebook}
            title={trans.__(
              'Insert a cell that re-runs this search with esap.data.search'
            )}
          >
            {trans.__('Open in notebook')}
          </Button>
        )}
      </div>
      {model.formError && (
        <div
          className="esap-Error"
          role="alert"
          data-esap-error-code={model.formError.code}
        >
          <p>{model.formError.message}</p>
          {model.formError.fix && (
            <p className="esap-Error-fix">{model.formError.fix}</p>
          )}
        </div>
      )}
      {model.run &&
        (model.run.request.all_vo ? (
          <AllVoProgress run={model.run} trans={trans} />
        ) : (
          <ServiceStatusList run={model.run} trans={trans} />
        ))}
    </form>
  );
}
