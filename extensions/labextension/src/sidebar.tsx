import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel } from '@lumino/widgets';
import React from 'react';

import {
  HubConfigModel,
  HubConfigState,
  IHubConfig,
  IOffering,
  OfferingKind
} from './hubconfig';
import { esapIcon } from './icons';
import { EsapAPIError } from './request';
import { EsapSidePanel } from './sidepanel';

/**
 * One section of the sidebar: a kind of offering and how to talk about it.
 */
interface ISection {
  kind: OfferingKind;
  heading: string;
  empty: string;
  offerings: (config: IHubConfig) => IOffering[];
}

function sections(trans: TranslationBundle): ISection[] {
  return [
    {
      kind: 'data_service',
      heading: trans.__('Data services'),
      empty: trans.__(
        'No data services are configured. An admin adds them under data_services in esap.yaml.'
      ),
      offerings: config => config.data_services
    },
    {
      kind: 'software_catalogue',
      heading: trans.__('Software catalogues'),
      empty: trans.__(
        'No software catalogues are configured. An admin adds them under software_catalogues in esap.yaml.'
      ),
      offerings: config => config.software_catalogues
    },
    {
      kind: 'archive',
      heading: trans.__('Archives'),
      empty: trans.__(
        'No archives are configured. An admin adds them under archives in esap.yaml.'
      ),
      offerings: config => config.archives
    }
  ];
}

function Offering(props: {
  kind: OfferingKind;
  offering: IOffering;
  trans: TranslationBundle;
}): JSX.Element {
  const { kind, offering, trans } = props;
  const className = offering.enabled
    ? 'esap-Offering'
    : 'esap-Offering esap-mod-disabled';
  return (
    <li
      className={className}
      data-esap-kind={kind}
      data-esap-name={offering.name}
      title={offering.url ?? undefined}
    >
      <div className="esap-Offering-header">
        <span className="esap-Offering-title">
          {offering.title ?? offering.name}
        </span>
        {offering.type && (
          <span className="esap-Offering-tag">{offering.type}</span>
        )}
        {!offering.enabled && (
          <span className="esap-Offering-tag esap-Offering-tag-disabled">
            {trans.__('disabled')}
          </span>
        )}
      </div>
      {offering.description && (
        <p className="esap-Offering-description">{offering.description}</p>
      )}
    </li>
  );
}

function Section(props: {
  section: ISection;
  config: IHubConfig;
  trans: TranslationBundle;
}): JSX.Element {
  const { section, config, trans } = props;
  const offerings = section.offerings(config);
  const headingId = `esap-Sidebar-heading-${section.kind}`;
  return (
    <section
      className="esap-Sidebar-section"
      data-esap-section={section.kind}
      aria-labelledby={headingId}
    >
      <h3 className="esap-Sidebar-sectionHeading" id={headingId}>
        {section.heading}
      </h3>
      {offerings.length > 0 ? (
        <ul className="esap-Sidebar-list">
          {offerings.map(offering => (
            <Offering
              key={offering.name}
              kind={section.kind}
              offering={offering}
              trans={trans}
            />
          ))}
        </ul>
      ) : (
        <p className="esap-Sidebar-empty">{section.empty}</p>
      )}
    </section>
  );
}

function ErrorNotice(props: {
  error: EsapAPIError;
  onRetry: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { error, onRetry, trans } = props;
  return (
    <div
      className="esap-Sidebar-error"
      role="alert"
      data-esap-error-code={error.code}
    >
      <p className="esap-Sidebar-errorMessage">{error.message}</p>
      {error.fix && <p className="esap-Sidebar-errorFix">{error.fix}</p>}
      <Button
        className="jp-mod-styled jp-mod-accept esap-Sidebar-retry"
        onClick={onRetry}
      >
        {trans.__('Retry')}
      </Button>
    </div>
  );
}

/**
 * The body of the sidebar: what the hub offers, or why it cannot be shown.
 */
export function HubOfferings(props: {
  state: HubConfigState;
  onRetry: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, onRetry, trans } = props;
  let config: IHubConfig | null = null;
  switch (state.status) {
    case 'error':
      return (
        <ErrorNotice error={state.error} onRetry={onRetry} trans={trans} />
      );
    case 'ready':
      config = state.config;
      break;
    case 'loading':
      config = state.previous;
      break;
    case 'idle':
      break;
  }
  if (config === null) {
    return (
      <p className="esap-Sidebar-status" aria-busy="true">
        {trans.__('Loading what this hub offers…')}
      </p>
    );
  }
  const loadedConfig = config;
  return (
    <div aria-busy={state.status === 'loading'}>
      {sections(trans).map(section => (
        <Section
          key={section.kind}
          section={section}
          config={loadedConfig}
          trans={trans}
        />
      ))}
    </div>
  );
}

/**
 * Lumino host of `HubOfferings`, re-rendered on every model change.
 */
class HubOfferingsView extends ReactWidget {
  constructor(model: HubConfigModel, trans: TranslationBundle) {
    super();
    this._model = model;
    this._trans = trans;
    this.addClass('esap-Sidebar-body');
    model.stateChanged.connect(this.update, this);
  }

  protected render(): JSX.Element {
    return (
      <HubOfferings
        state={this._model.state}
        onRetry={() => void this._model.refresh()}
        trans={this._trans}
      />
    );
  }

  private _model: HubConfigModel;
  private _trans: TranslationBundle;
}

/**
 * The ESAP sidebar: lists the data services, software catalogues and
 * archives the hub offers. The configuration is loaded the first time the
 * sidebar is shown, so it costs nothing while the lab starts.
 */
export class EsapSidebar extends EsapSidePanel {
  constructor(options: EsapSidebar.IOptions) {
    const { model, commands, refreshCommand } = options;
    const translator = options.translator ?? nullTranslator;
    const trans = translator.load('esap-hub');
    super({
      id: 'esap-sidebar',
      className: 'esap-Sidebar',
      heading: trans.__('ESAP'),
      icon: esapIcon,
      content: new Panel(),
      translator
    });
    this._model = model;
    this._esapTrans = trans;
    this.addRefreshButton({ commands, command: refreshCommand });
    this.content.addWidget(new HubOfferingsView(model, trans));

    model.stateChanged.connect(this._onStateChanged, this);
    this._onStateChanged(model, model.state);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      void this._model.ensureLoaded();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.ensureLoaded();
  }

  private _onStateChanged(_: HubConfigModel, state: HubConfigState): void {
    this.node.dataset.esapState = state.status;
    const config =
      state.status === 'ready'
        ? state.config
        : state.status === 'loading'
          ? state.previous
          : null;
    if (config) {
      this.showConfigSource(config.source, config.warnings, this._esapTrans);
    }
    const title = config?.title ?? this._esapTrans.__('ESAP');
    this.heading.setText(
      title,
      config?.version
        ? this._esapTrans.__('%1, version %2', title, config.version)
        : title
    );
  }

  private _model: HubConfigModel;
  private _esapTrans: TranslationBundle;
}

export namespace EsapSidebar {
  export interface IOptions {
    /** Holds what the hub offers. */
    model: HubConfigModel;
    /** The application commands, for the toolbar. */
    commands: CommandRegistry;
    /** The id of the command that reloads the model. */
    refreshCommand: string;
    /** The application language translator. */
    translator?: ITranslator;
  }
}
