import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel } from '@lumino/widgets';
import React from 'react';

import { EsapAPIError } from '../request';
import { EsapSidePanel } from '../sidepanel';
import {
  IIncomingShare,
  IProject,
  IShare,
  IShareLink,
  IShares,
  SharedAPI
} from './api';

/**
 * What the Shared view shows: this lab's shares and links, the labs others
 * share with the user, and the user's projects with their shared baskets.
 */
export class SharedModel {
  constructor(api: SharedAPI) {
    this.api = api;
  }

  readonly api: SharedAPI;

  get shares(): IShares | null {
    return this._shares;
  }

  get projects(): IProject[] {
    return this._projects;
  }

  get error(): EsapAPIError | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Ask the server again (both lists; one failing does not hide the other). */
  async refresh(): Promise<void> {
    this._error = null;
    await Promise.all([
      this.api.shares().then(
        shares => (this._shares = shares),
        reason => (this._error = EsapAPIError.from(reason))
      ),
      this.api.projects().then(
        projects => (this._projects = projects),
        reason => (this._error = EsapAPIError.from(reason))
      )
    ]);
    this._changed.emit();
  }

  /** Show `error` (an action that failed) until the next refresh. */
  fail(reason: unknown): void {
    this._error = EsapAPIError.from(reason);
    this._changed.emit();
  }

  private _shares: IShares | null = null;
  private _projects: IProject[] = [];
  private _error: EsapAPIError | null = null;
  private _changed = new Signal<this, void>(this);
}

/** What the view's buttons do; the plugin gives them their commands. */
export interface ISharedActions {
  share: () => void;
  revoke: (share: IShare) => void;
  withdraw: (link: IShareLink) => void;
  openInNotebook: (project: IProject) => void;
  copyToMine: (project: IProject) => void;
  publish: (project: IProject) => void;
}

function until(expires: number | null, trans: TranslationBundle): string {
  if (expires === null) {
    return trans.__('no end recorded');
  }
  return trans.__('until %1', new Date(expires * 1000).toLocaleString());
}

function accessText(access: string, trans: TranslationBundle): string {
  if (access === 'full') {
    return trans.__('full access');
  }
  return access === 'write' ? trans.__('read & write') : trans.__('read-only');
}

function Button(props: {
  label: string;
  title?: string;
  onClick: () => void;
  accept?: boolean;
}): JSX.Element {
  return (
    <button
      type="button"
      className={`jp-Button jp-mod-styled ${props.accept ? 'jp-mod-accept' : 'jp-mod-reject'} esap-Shared-button`}
      title={props.title ?? props.label}
      onClick={props.onClick}
    >
      {props.label}
    </button>
  );
}

function ThisLab(props: {
  shares: IShares | null;
  actions: ISharedActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { shares, actions, trans } = props;
  if (shares && !shares.enabled) {
    return (
      <p className="esap-Shared-empty">
        {trans.__(
          'This hub does not let users share their labs (sharing.enabled in esap.yaml).'
        )}
      </p>
    );
  }
  const outgoing = shares?.shares ?? [];
  const links = shares?.links ?? [];
  return (
    <>
      <Button
        label={trans.__('Share this lab')}
        title={trans.__(
          'Share your running lab with a user or a group, read-only or full, for a time'
        )}
        onClick={actions.share}
        accept
      />
      {outgoing.length === 0 && links.length === 0 && (
        <p className="esap-Shared-empty">
          {trans.__('You share this lab with no one.')}
        </p>
      )}
      <ul className="esap-Shared-list esap-Shared-outgoing">
        {outgoing.map(share => (
          <li
            key={`${share.kind}:${share.name}`}
            className="esap-Shared-item"
            data-esap-share={`${share.kind}:${share.name}`}
          >
            <span className="esap-Shared-who">
              {share.kind === 'group'
                ? trans.__('group %1', share.name)
                : share.name}
            </span>
            <span className="esap-Shared-access">
              {accessText(share.access, trans)}
            </span>
            <span className="esap-Shared-until">
              {until(share.expires_at, trans)}
            </span>
            <Button
              label={trans.__('Revoke')}
              title={trans.__('End this share now')}
              onClick={() => actions.revoke(share)}
            />
          </li>
        ))}
        {links.map(link => (
          <li
            key={link.id}
            className="esap-Shared-item"
            data-esap-link={link.id}
          >
            <span className="esap-Shared-who">
              {trans._n(
                'a link (accepted once)',
                'a link (accepted %1 times)',
                link.exchange_count
              )}
            </span>
            <span className="esap-Shared-access">
              {accessText(link.access, trans)}
            </span>
            <span className="esap-Shared-until">
              {until(link.expires_at, trans)}
            </span>
            <Button
              label={trans.__('Withdraw')}
              title={trans.__(
                'No one else may accept it; those who did keep access until its time'
              )}
              onClick={() => actions.withdraw(link)}
            />
          </li>
        ))}
      </ul>
    </>
  );
}

function Incoming(props: {
  incoming: IIncomingShare[];
  trans: TranslationBundle;
}): JSX.Element {
  const { incoming, trans } = props;
  if (incoming.length === 0) {
    return (
      <p className="esap-Shared-empty">
        {trans.__('No one shares a lab with you.')}
      </p>
    );
  }
  return (
    <ul className="esap-Shared-list esap-Shared-incoming">
      {incoming.map(share => (
        <li
          key={`${share.owner}/${share.server}:${share.via}:${share.name}`}
          className="esap-Shared-item"
          data-esap-owner={share.owner}
        >
          <a
            className="esap-Shared-who"
            href={share.url}
            target="_blank"
            rel="noopener noreferrer"
          >
            {share.server
              ? trans.__('%1’s lab %2', share.owner, share.server)
              : trans.__('%1’s lab', share.owner)}
          </a>
          <span className="esap-Shared-access">
            {accessText(share.access, trans)}
            {share.via === 'group'
              ? ` ${trans.__('(group %1)', share.name)}`
              : ''}
          </span>
          <span className="esap-Shared-until">
            {share.ready ? '' : `${trans.__('not running')} · `}
            {until(share.expires_at, trans)}
          </span>
        </li>
      ))}
    </ul>
  );
}

function Projects(props: {
  projects: IProject[];
  actions: ISharedActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { projects, actions, trans } = props;
  if (projects.length === 0) {
    return (
      <p className="esap-Shared-empty">
        {trans.__(
          'You are in no project. Projects come from your groups, and change when your server starts.'
        )}
      </p>
    );
  }
  return (
    <ul className="esap-Shared-list esap-Shared-projects">
      {projects.map(project => {
        const groups = [...project.write_groups, ...project.read_groups];
        return (
          <li
            key={project.name}
            className="esap-Shared-item"
            data-esap-project={project.name}
          >
            <span className="esap-Shared-who" title={project.description}>
              {project.title}
            </span>
            <span className="esap-Shared-access">
              {accessText(project.access, trans)} · {project.path}
            </span>
            <span className="esap-Shared-until">
              {trans.__('with %1', groups.join(', '))}
              {project.size ? ` · ${trans.__('up to %1', project.size)}` : ''}
            </span>
            <span className="esap-Shared-basket">
              {trans._n(
                'Basket: %1 item',
                'Basket: %1 items',
                project.basket.count
              )}
              {project.basket.updated_by
                ? ` · ${trans.__('by %1', project.basket.updated_by)}`
                : ''}
            </span>
            <span className="esap-Shared-actions">
              <Button
                label={trans.__('Open in notebook')}
                title={trans.__(
                  'A notebook cell that loads the project’s basket (esap.basket.project)'
                )}
                onClick={() => actions.openInNotebook(project)}
              />
              <Button
                label={trans.__('Copy to my basket')}
                onClick={() => actions.copyToMine(project)}
              />
              {project.access === 'write' && (
                <Button
                  label={trans.__('Publish my basket')}
                  title={trans.__(
                    'Add every item of your basket to the project’s, for every member'
                  )}
                  onClick={() => actions.publish(project)}
                />
              )}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function SharedView(props: {
  model: SharedModel;
  actions: ISharedActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, actions, trans } = props;
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <div className="esap-Shared">
          {model.error && (
            <div className="esap-Shared-error" role="alert">
              {model.error.message} {model.error.fix}
            </div>
          )}
          <section className="esap-Shared-section">
            <h3>{trans.__('This lab')}</h3>
            <ThisLab shares={model.shares} actions={actions} trans={trans} />
          </section>
          <section className="esap-Shared-section">
            <h3>{trans.__('Shared with you')}</h3>
            <Incoming incoming={model.shares?.incoming ?? []} trans={trans} />
          </section>
          <section className="esap-Shared-section">
            <h3>{trans.__('Projects')}</h3>
            <Projects
              projects={model.projects}
              actions={actions}
              trans={trans}
            />
          </section>
        </div>
      )}
    </UseSignal>
  );
}

/**
 * The Shared view (id `esap-shared`): what this lab shares, with whom and
 * until when; the labs others share with the user; the user's projects and
 * their shared baskets.
 */
export class SharedPanel extends EsapSidePanel {
  constructor(options: SharedPanel.IOptions) {
    const { model, trans } = options;
    super({
      id: 'esap-shared',
      className: 'esap-SharedPanel',
      heading: trans.__('Shared'),
      caption: trans.__(
        'What you share, what is shared with you, your projects'
      ),
      icon: options.icon,
      content: new Panel()
    });
    this.model = model;
    this.addRefreshButton({
      onClick: () => void model.refresh(),
      tooltip: trans.__('Refresh')
    });
    this.content.addWidget(
      ReactWidget.create(
        <SharedView model={model} actions={options.actions} trans={trans} />
      )
    );
  }

  readonly model: SharedModel;

  protected onAfterShow(): void {
    void this.model.refresh();
  }
}

export namespace SharedPanel {
  export interface IOptions {
    model: SharedModel;
    actions: ISharedActions;
    trans: TranslationBundle;
    icon: LabIcon;
  }
}
