import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { EsapAPIError } from '../request';
import {
  fetchUsage,
  formatBytes,
  formatDuration,
  IClusterUse,
  IDaskUse,
  IHomeUse,
  IJobUse,
  IServerUse,
  IUsage,
  IUsageLimit
} from './api';

/**
 * The last usage report and whether a new one is on its way; the view and
 * the quota warning both read it.
 */
export class UsageModel {
  constructor(settings: ServerConnection.ISettings) {
    this._settings = settings;
  }

  get usage(): IUsage | null {
    return this._usage;
  }

  get error(): EsapAPIError | null {
    return this._error;
  }

  get loading(): boolean {
    return this._loading;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Ask the server again; `fresh` measures the home now.
   */
  async refresh(fresh = false): Promise<IUsage | null> {
    this._loading = true;
    this._changed.emit();
    try {
      this._usage = await fetchUsage(fresh, this._settings);
      this._error = null;
    } catch (reason) {
      this._error = EsapAPIError.from(reason);
    } finally {
      this._loading = false;
      this._changed.emit();
    }
    return this._usage;
  }

  private _settings: ServerConnection.ISettings;
  private _usage: IUsage | null = null;
  private _error: EsapAPIError | null = null;
  private _loading = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * A bar of `used` against `limit`: JupyterLab's colours, warning past 90%,
 * an error colour at or past the limit.
 */
function Meter(props: {
  label: string;
  used: number;
  limit: number;
  text: string;
}): JSX.Element {
  const { label, used, limit, text } = props;
  const share = limit > 0 ? used / limit : 0;
  const level = share >= 1 ? 'over' : share >= 0.9 ? 'near' : 'ok';
  return (
    <div className="esap-Usage-meter" data-esap-level={level}>
      <div
        className="esap-Usage-bar"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={limit}
        aria-valuenow={Math.min(used, limit)}
        aria-valuetext={text}
      >
        <div
          className="esap-Usage-barFill"
          style={{ width: `${Math.min(100, share * 100)}%` }}
        />
      </div>
      <span className="esap-Usage-meterText">{text}</span>
    </div>
  );
}

function HomeSection(props: {
  home: IHomeUse;
  trans: TranslationBundle;
}): JSX.Element {
  const { home, trans } = props;
  return (
    <section className="esap-Usage-section" data-esap-part="home">
      <h2>{trans.__('Home folder')}</h2>
      {home.quota !== null ? (
        <Meter
          label={trans.__('Home folder against its quota')}
          used={home.bytes}
          limit={home.quota}
          text={trans.__(
            '%1 of %2 (%3%)',
            formatBytes(home.bytes),
            formatBytes(home.quota),
            Math.round((home.share ?? 0) * 100)
          )}
        />
      ) : (
        <p className="esap-Usage-value">
          {trans.__('%1 (no quota on this hub)', formatBytes(home.bytes))}
        </p>
      )}
      <p className="esap-Usage-note">
        {trans.__(
          '%1 files in %2, measured %3.',
          home.files,
          home.path,
          new Date(home.measured_at * 1000).toLocaleTimeString()
        )}
      </p>
      {home.warn && (
        <p className="esap-Usage-warning" role="alert">
          {(home.share ?? 0) >= 1
            ? trans.__(
                'Your home is at its quota: new basket downloads and publications are refused. Free space in your home, or ask the hub admin.'
              )
            : trans.__(
                'Your home is nearly full: new basket downloads and publications are refused once it reaches the quota. Free space in your home, or ask the hub admin.'
              )}
        </p>
      )}
    </section>
  );
}

function ServersSection(props: {
  servers: IServerUse[];
  trans: TranslationBundle;
}): JSX.Element {
  const { servers, trans } = props;
  return (
    <section className="esap-Usage-section" data-esap-part="servers">
      <h2>{trans.__('Servers')}</h2>
      {servers.length === 0 ? (
        <p className="esap-Usage-note">{trans.__('No server is running.')}</p>
      ) : (
        <ul className="esap-Usage-list">
          {servers.map(server => (
            <li key={server.name} data-esap-server={server.name}>
              <span className="esap-Usage-name">
                {server.name || trans.__('Default server')}
              </span>{' '}
              {server.ready && server.running_seconds !== null
                ? trans.__(
                    'running for %1',
                    formatDuration(server.running_seconds)
                  )
                : (server.pending ?? trans.__('not ready'))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function limitText(
  used: number,
  limit: IUsageLimit,
  show: (value: number) => string,
  trans: TranslationBundle
): string {
  return limit.value === null
    ? trans.__('%1 (no limit)', show(used))
    : trans.__('%1 of %2 (%3)', show(used), show(limit.value), limit.key);
}

function LimitRow(props: {
  label: string;
  used: number;
  limit: IUsageLimit;
  show: (value: number) => string;
  trans: TranslationBundle;
}): JSX.Element {
  const { label, used, limit, show, trans } = props;
  const text = limitText(used, limit, show, trans);
  return (
    <div className="esap-Usage-limit" data-esap-limit={limit.key}>
      <span className="esap-Usage-name">{label}</span>
      {limit.value === null ? (
        <span className="esap-Usage-meterText">{text}</span>
      ) : (
        <Meter label={label} used={used} limit={limit.value} text={text} />
      )}
    </div>
  );
}

function ClusterItem(props: {
  cluster: IClusterUse;
  trans: TranslationBundle;
}): JSX.Element {
  const { cluster, trans } = props;
  return (
    <li data-esap-cluster={cluster.name}>
      <span className="esap-Usage-name">{cluster.name}</span>{' '}
      {trans.__(
        '%1, %2 workers, %3 cores, %4',
        cluster.status,
        cluster.workers ?? '?',
        cluster.cores,
        formatBytes(cluster.memory)
      )}
    </li>
  );
}

function DaskSection(props: {
  dask: IDaskUse;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { dask, trans } = props;
  if (!dask.enabled) {
    return null;
  }
  const used = dask.in_use ?? { clusters: 0, cores: 0, memory: 0 };
  const count = (value: number) => String(value);
  return (
    <section className="esap-Usage-section" data-esap-part="dask">
      <h2>{trans.__('Dask clusters')}</h2>
      {dask.limits && (
        <div className="esap-Usage-limits">
          <LimitRow
            label={trans.__('Clusters')}
            used={used.clusters}
            limit={dask.limits.clusters}
            show={count}
            trans={trans}
          />
          <LimitRow
            label={trans.__('Cores')}
            used={used.cores}
            limit={dask.limits.cores}
            show={count}
            trans={trans}
          />
          <LimitRow
            label={trans.__('Memory')}
            used={used.memory}
            limit={dask.limits.memory}
            show={formatBytes}
            trans={trans}
          />
        </div>
      )}
      {dask.clusters.length === 0 ? (
        <p className="esap-Usage-note">{trans.__('No cluster is running.')}</p>
      ) : (
        <ul className="esap-Usage-list">
          {dask.clusters.map(cluster => (
            <ClusterItem key={cluster.name} cluster={cluster} trans={trans} />
          ))}
        </ul>
      )}
    </section>
  );
}

function JobsSection(props: {
  jobs: IJobUse[];
  trans: TranslationBundle;
}): JSX.Element {
  const { jobs, trans } = props;
  return (
    <section className="esap-Usage-section" data-esap-part="jobs">
      <h2>{trans.__('Jobs running')}</h2>
      {jobs.length === 0 ? (
        <p className="esap-Usage-note">{trans.__('No job is running.')}</p>
      ) : (
        <ul className="esap-Usage-list">
          {jobs.map(job => (
            <li key={`${job.kind}/${job.id}`} data-esap-job={job.id}>
              <span className="esap-Usage-name">{job.kind}</span>{' '}
              {job.about ?? job.id} · {job.state}
              {job.progress.total
                ? ` · ${Math.round((100 * job.progress.done) / job.progress.total)}%`
                : ''}
              {job.progress.message ? ` · ${job.progress.message}` : ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The report, or why it could not be had.
 */
function UsageReport(props: {
  model: UsageModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const usage = model.usage;
  return (
    <div className="esap-Usage" aria-busy={model.loading}>
      {model.error && (
        <div className="esap-Usage-error" role="alert">
          <p>{model.error.message}</p>
          {model.error.fix && <p>{model.error.fix}</p>}
        </div>
      )}
      {usage === null ? (
        !model.error && (
          <p className="esap-Usage-note">{trans.__('Measuring…')}</p>
        )
      ) : (
        <>
          <HomeSection home={usage.home} trans={trans} />
          <ServersSection servers={usage.servers} trans={trans} />
          <DaskSection dask={usage.dask} trans={trans} />
          <JobsSection jobs={usage.jobs} trans={trans} />
          {usage.problems.map(problem => (
            <p
              key={problem.part}
              className="esap-Usage-problem"
              data-esap-part={problem.part}
            >
              {problem.message} — {problem.fix}
            </p>
          ))}
        </>
      )}
    </div>
  );
}

/**
 * "My usage": the home against its quota, the user's servers and for how
 * long, Dask clusters against the user's limits, and jobs running.
 */
export class UsageView extends ReactWidget {
  constructor(model: UsageModel, trans: TranslationBundle) {
    super();
    this.model = model;
    this._trans = trans;
    this.addClass('esap-UsageView');
  }

  readonly model: UsageModel;

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <UsageReport model={this.model} trans={this._trans} />}
      </UseSignal>
    );
  }

  private _trans: TranslationBundle;
}
