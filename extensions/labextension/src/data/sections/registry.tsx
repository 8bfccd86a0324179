import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import React from 'react';

import { EsapAPIError } from '../../request';
import { IRegistryEntry } from '../api';
import { DataPanelModel, serviceNameFor } from '../model';
import { ErrorBox, Section } from './section';

const SERVICE_TYPES = ['tap', 'sia2', 'scs', 'ssa'];
const WAVEBANDS = [
  '',
  'radio',
  'millimeter',
  'infrared',
  'optical',
  'uv',
  'euv',
  'x-ray',
  'gamma-ray'
];

function RegistryView(props: {
  model: DataPanelModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [keywords, setKeywords] = React.useState('');
  const [servicetype, setServicetype] = React.useState('tap');
  const [waveband, setWaveband] = React.useState('');
  const [adding, setAdding] = React.useState<string | null>(null);
  const [addError, setAddError] = React.useState<EsapAPIError | null>(null);
  // Type and URL: a registry's RegTAP endpoint is often a TAP service too.
  const listed = new Set((model.services ?? []).map(s => `${s.type} ${s.url}`));
  const search = () =>
    void model.searchRegistry({
      keywords: keywords.trim(),
      servicetype,
      waveband
    });
  const add = async (entry: IRegistryEntry) => {
    setAdding(entry.ivoid);
    setAddError(null);
    try {
      const name = serviceNameFor(
        entry,
        (model.services ?? []).map(s => s.name)
      );
      await model.addService(entry, name);
    } catch (reason) {
      setAddError(EsapAPIError.from(reason));
    } finally {
      setAdding(null);
    }
  };
  return (
    <div className="esap-Registry">
      <form
        className="esap-Registry-form"
        onSubmit={event => {
          event.preventDefault();
          search();
        }}
      >
        <div className="esap-Row esap-Registry-query">
          <InputGroup
            type="search"
            value={keywords}
            placeholder={trans.__('Keywords, e.g. LOFAR')}
            aria-label={trans.__('Registry keywords')}
            onChange={event => setKeywords(event.currentTarget.value)}
          />
          <Button
            type="submit"
            className="jp-mod-styled jp-mod-accept"
            disabled={model.registryBusy}
          >
            {model.registryBusy ? trans.__('Searching…') : trans.__('Find')}
          </Button>
        </div>
        <div className="esap-Row esap-Registry-filters">
          <HTMLSelect
            aria-label={trans.__('Service type')}
            value={servicetype}
            onChange={event => setServicetype(event.currentTarget.value)}
            options={SERVICE_TYPES}
          />
          <HTMLSelect
            aria-label={trans.__('Waveband')}
            value={waveband}
            onChange={event => setWaveband(event.currentTarget.value)}
            options={WAVEBANDS.map(w => ({
              value: w,
              label: w || trans.__('any waveband')
            }))}
          />
        </div>
      </form>
      <ErrorBox error={model.registryError} />
      <ErrorBox error={addError} />
      {model.registryHits !== null && model.registryHits.length === 0 && (
        <p className="esap-Muted">
          {trans.__('The registry knows no such service.')}
        </p>
      )}
      {model.registryHits !== null && model.registryHits.length > 0 && (
        <ul className="esap-List">
          {model.registryHits.map(entry => (
            <li
              key={entry.ivoid}
              className="esap-RegistryHit"
              data-esap-ivoid={entry.ivoid}
            >
              <div className="esap-RegistryHit-line">
                <span className="esap-RegistryHit-title" title={entry.ivoid}>
                  {entry.title}
                </span>
                <span className="esap-Tag">{entry.type}</span>
              </div>
              <p
                className="esap-RegistryHit-description"
                title={entry.description}
              >
                {entry.description}
              </p>
              <div className="esap-RegistryHit-line">
                <span
                  className="esap-Muted esap-RegistryHit-url"
                  title={entry.url}
                >
                  {entry.url}
                </span>
                {listed.has(`${entry.type} ${entry.url}`) ? (
                  <span className="esap-Muted">
                    {trans.__('in my services')}
                  </span>
                ) : (
                  <Button
                    minimal
                    small
                    className="esap-LinkButton"
                    disabled={adding !== null}
                    onClick={() => void add(entry)}
                  >
                    {adding === entry.ivoid
                      ? trans.__('Adding…')
                      : trans.__('Add to my services')}
                  </Button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The IVOA registry: find services and add them to the user's own.
 */
export class RegistrySection extends Section {
  constructor(model: DataPanelModel, trans: TranslationBundle) {
    super(model, trans, 'registry', trans.__('Registry'));
  }

  protected render(): JSX.Element {
    return <RegistryView model={this.model} trans={this.trans} />;
  }
}
