import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  InputGroup,
  ReactWidget,
  extensionIcon
} from '@jupyterlab/ui-components';
import { Panel } from '@lumino/widgets';
import React, { useEffect, useRef, useState } from 'react';

import { isActive, JobFollower } from '../jobs';
import { EsapAPIError } from '../request';
import { EsapSidePanel } from '../sidepanel';
import {
  asLaunch,
  ILaunch,
  ILaunchJob,
  ILaunchResult,
  ISearchForm,
  ISearchResult,
  ISoftware,
  SoftwareAPI
} from './api';

/**
 * Milliseconds between polls of a running launch.
 */
const POLL = 1000;

/**
 * What the panel needs from the lab: the basket command and opening a notebook.
 */
export interface ISoftwareActions {
  addToBasket(item: Record<string, unknown>): Promise<void>;
  openNotebook(path: string, kernel: string | null): Promise<void>;
}

function message(reason: unknown): string {
  return reason instanceof EsapAPIError
    ? `${reason.message} ${reason.fix}`
    : String(reason);
}

function Field(props: {
  name: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}): JSX.Element {
  const id = `esap-software-${props.name}`;
  return (
    <div className="esap-Field">
      <label className="esap-Field-label" htmlFor={id}>
        {props.label}
      </label>
      <InputGroup
        id={id}
        aria-label={props.label}
        value={props.value}
        onChange={event => props.onChange(event.currentTarget.value)}
      />
    </div>
  );
}

function Row(props: {
  label: string;
  value: string | null;
}): JSX.Element | null {
  if (!props.value) {
    return null;
  }
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
    </>
  );
}

function LaunchView(props: {
  launch: ILaunch;
  trans: TranslationBundle;
}): JSX.Element {
  const { launch, trans } = props;
  const failed = launch.steps.find(step => step.state === 'error');
  return (
    <div className="esap-Software-launch" data-state={launch.state}>
      <div>
        {trans.__('Open in my lab: %1', launch.name)}{' '}
        <progress max={1} value={launch.progress} />
      </div>
      <ol className="esap-Software-steps">
        {launch.steps.map(step => (
          <li key={step.name} data-step={step.name} data-state={step.state}>
            {step.name}: {step.state}
          </li>
        ))}
      </ol>
      {launch.error && (
        <div className="esap-Software-error" role="alert">
          {launch.error}
        </div>
      )}
      {failed && failed.output && (
        <pre className="esap-Software-output">{failed.output}</pre>
      )}
      {launch.state === 'done' && (
        <div className="esap-Software-done">
          {launch.kernel
            ? trans.__('Kernel %1 is ready.', launch.kernel)
            : trans.__('No requirements declared: the default kernel is used.')}
        </div>
      )}
    </div>
  );
}

function Details(props: {
  record: ISoftware;
  trans: TranslationBundle;
  onBack: () => void;
  onBasket: () => void;
  onLaunch: () => void;
  launching: boolean;
}): JSX.Element {
  const { record, trans } = props;
  return (
    <div className="esap-Software-details">
      <h3>{record.name}</h3>
      <p className="esap-Software-description">{record.description}</p>
      <dl>
        <Row label={trans.__('Authors')} value={record.authors.join(', ')} />
        <Row label={trans.__('Licence')} value={record.licence} />
        <Row label={trans.__('Version')} value={record.version} />
        <Row label={trans.__('Repository')} value={record.repository} />
        <Row
          label={trans.__('Runtime platform')}
          value={record.runtimes.join(', ')}
        />
        <Row
          label={trans.__('Languages')}
          value={record.languages.join(', ')}
        />
        <Row label={trans.__('DOI')} value={record.doi} />
        <Row
          label={trans.__('Related publications')}
          value={record.publications.join(', ')}
        />
        <Row label={trans.__('Catalogue')} value={record.catalogue} />
      </dl>
      <div className="esap-Software-actions">
        <Button onClick={props.onBack}>{trans.__('Back')}</Button>
        <Button onClick={props.onBasket}>{trans.__('Add to basket')}</Button>
        {record.repository && (
          <Button onClick={props.onLaunch} disabled={props.launching}>
            {trans.__('Open in my lab')}
          </Button>
        )}
        {record.binder_url && (
          <a
            className="esap-Software-binder"
            href={record.binder_url}
            target="_blank"
            rel="noopener noreferrer"
          >
            {trans.__('Launch on BinderHub')}
          </a>
        )}
      </div>
    </div>
  );
}

function SoftwareView(props: {
  api: SoftwareAPI;
  actions: ISoftwareActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { api, actions, trans } = props;
  const [form, setForm] = useState<ISearchForm>({
    q: '',
    language: '',
    license: '',
    runtime: ''
  });
  const [result, setResult] = useState<ISearchResult | null>(null);
  const [record, setRecord] = useState<ISoftware | null>(null);
  const [launch, setLaunch] = useState<ILaunch | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const follower = useRef<JobFollower<
    ILaunchJob['params'],
    ILaunchResult
  > | null>(null);

  const follow = (job: ILaunchJob): void => {
    follower.current?.dispose();
    setLaunch(asLaunch(job));
    const tracked = new JobFollower(job, { interval: POLL });
    follower.current = tracked;
    tracked.changed.connect((_, current) => setLaunch(asLaunch(current)));
    tracked.done.then(
      ended => {
        if (ended.state === 'done' && ended.result?.notebook) {
          void actions.openNotebook(ended.result.notebook, ended.result.kernel);
        }
      },
      reason => setError(message(reason))
    );
  };

  useEffect(() => {
    // a launch still running when the lab was reloaded is followed again
    api.launches().then(
      jobs => {
        if (jobs.length > 0 && isActive(jobs[0])) {
          follow(jobs[0]);
        }
      },
      () => undefined
    );
    return () => follower.current?.dispose();
    // once, when the panel opens: later launches are followed as they start
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const search = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setRecord(null);
    try {
      setResult(await api.search(form));
    } catch (reason) {
      setError(message(reason));
    }
    setBusy(false);
  };

  const open = async (hit: ISoftware): Promise<void> => {
    setError(null);
    try {
      setRecord(await api.details(hit));
    } catch (reason) {
      setError(message(reason));
    }
  };

  const start = async (chosen: ISoftware): Promise<void> => {
    if (!chosen.repository) {
      return;
    }
    setError(null);
    try {
      follow(await api.launch(chosen.repository, chosen.name));
    } catch (reason) {
      setError(message(reason));
    }
  };

  const set = (key: keyof ISearchForm) => (value: string) =>
    setForm({ ...form, [key]: value });

  return (
    <div className="esap-Software">
      <form className="esap-Software-form" onSubmit={search}>
        <Field
          name="q"
          label={trans.__('Keyword')}
          value={form.q}
          onChange={set('q')}
        />
        <div className="esap-Row">
          <Field
            name="language"
            label={trans.__('Language')}
            value={form.language}
            onChange={set('language')}
          />
          <Field
            name="license"
            label={trans.__('Licence')}
            value={form.license}
            onChange={set('license')}
          />
        </div>
        <Field
          name="runtime"
          label={trans.__('Runtime')}
          value={form.runtime}
          onChange={set('runtime')}
        />
        <div className="esap-Actions">
          <Button
            type="submit"
            className="jp-mod-styled jp-mod-accept"
            disabled={busy}
          >
            {busy ? trans.__('Searching…') : trans.__('Search')}
          </Button>
        </div>
      </form>
      {error && (
        <div className="esap-Software-error" role="alert">
          {error}
        </div>
      )}
      {launch && <LaunchView launch={launch} trans={trans} />}
      {record ? (
        <Details
          record={record}
          trans={trans}
          onBack={() => setRecord(null)}
          onBasket={() => void actions.addToBasket(record.basket_item)}
          onLaunch={() => void start(record)}
          launching={launch !== null && isActive(launch)}
        />
      ) : (
        result && (
          <div className="esap-Software-results">
            {Object.entries(result.errors).map(([name, text]) => (
              <div
                key={name}
                className="esap-Software-catalogueError"
                data-catalogue={name}
              >
                {trans.__('%1 did not answer: %2', name, text)}
              </div>
            ))}
            <div className="esap-Software-count">
              {trans._n('%1 hit', '%1 hits', result.hits.length)}
            </div>
            <ul className="esap-Software-hits">
              {result.hits.map(hit => (
                <li
                  key={`${hit.catalogue}/${hit.identifier}`}
                  className="esap-Software-hit"
                  data-identifier={hit.identifier}
                >
                  <button
                    className="esap-Software-hitName"
                    onClick={() => void open(hit)}
                  >
                    {hit.name}
                  </button>
                  <span className="esap-Software-meta">
                    {[
                      hit.version,
                      hit.licence,
                      hit.languages.join(', '),
                      hit.catalogue
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </span>
                  <span className="esap-Software-summary">
                    {hit.description}
                  </span>
                </li>
              ))}
            </ul>
          </div>
        )
      )}
    </div>
  );
}

/**
 * The Software panel (id `esap-software`): search the hub's catalogues,
 * read a record's details, add it to the basket, open it in the lab or
 * launch it on BinderHub. Everything from a catalogue is rendered as text.
 */
export class SoftwarePanel extends EsapSidePanel {
  constructor(options: SoftwarePanel.IOptions) {
    const { trans } = options;
    super({
      id: 'esap-software',
      className: 'esap-SoftwarePanel',
      heading: trans.__('Software'),
      icon: extensionIcon,
      content: new Panel()
    });
    this.content.addWidget(
      ReactWidget.create(
        <SoftwareView
          api={options.api}
          actions={options.actions}
          trans={trans}
        />
      )
    );
  }
}

export namespace SoftwarePanel {
  export interface IOptions {
    api: SoftwareAPI;
    actions: ISoftwareActions;
    trans: TranslationBundle;
  }
}
