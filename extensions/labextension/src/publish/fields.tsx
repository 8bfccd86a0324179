import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ICreator } from './api';
import { IArchiveChoice } from './archives';
import { IDraft } from './draft';

/** The server's message for each refused field, keyed by its path. */
export type Problems = Map<string, string>;

/**
 * The field's error under an input, as plain text.
 */
export function FieldError(props: {
  problems: Problems;
  field: string;
}): JSX.Element | null {
  const message = props.problems.get(props.field);
  if (!message) {
    return null;
  }
  return (
    <div className="esap-Publish-error" data-field={props.field} role="alert">
      {message}
    </div>
  );
}

/**
 * One labelled input (or text area) of the draft, its error under it.
 */
function TextField(props: {
  name: keyof IDraft;
  label: string;
  draft: IDraft;
  set: (key: keyof IDraft, value: string) => void;
  problems: Problems;
  rows?: number;
  placeholder?: string;
  list?: string;
  children?: React.ReactNode;
}): JSX.Element {
  const { name, draft, set, rows } = props;
  const value = draft[name] as string;
  return (
    <label className="esap-Publish-field">
      <span>{props.label}</span>
      {rows ? (
        <textarea
          name={name}
          rows={rows}
          value={value}
          placeholder={props.placeholder}
          onChange={event => set(name, event.target.value)}
        />
      ) : (
        <input
          name={name}
          list={props.list}
          value={value}
          onChange={event => set(name, event.target.value)}
        />
      )}
      {props.children}
      <FieldError problems={props.problems} field={name} />
    </label>
  );
}

function Creators(props: {
  creators: ICreator[];
  setCreator: (index: number, key: keyof ICreator, value: string) => void;
  addCreator: () => void;
  problems: Problems;
  trans: TranslationBundle;
}): JSX.Element {
  const { creators, setCreator, problems, trans } = props;
  return (
    <fieldset className="esap-Publish-creators">
      <legend>{trans.__('Creators')}</legend>
      {creators.map((creator, index) => (
        <div className="esap-Publish-creator" key={index}>
          <input
            name={`creators[${index}].name`}
            placeholder={trans.__('Family, Given')}
            value={creator.name}
            onChange={event => setCreator(index, 'name', event.target.value)}
          />
          <input
            name={`creators[${index}].affiliation`}
            placeholder={trans.__('Affiliation')}
            value={creator.affiliation ?? ''}
            onChange={event =>
              setCreator(index, 'affiliation', event.target.value)
            }
          />
          <input
            name={`creators[${index}].orcid`}
            placeholder="0000-0002-1825-0097"
            value={creator.orcid ?? ''}
            onChange={event => setCreator(index, 'orcid', event.target.value)}
          />
          <FieldError problems={problems} field={`creators[${index}].name`} />
          <FieldError problems={problems} field={`creators[${index}].orcid`} />
        </div>
      ))}
      <button
        type="button"
        className="jp-mod-styled jp-mod-reject"
        onClick={props.addCreator}
      >
        {trans.__('Add creator')}
      </button>
      <FieldError problems={problems} field="creators" />
    </fieldset>
  );
}

/**
 * The files and the metadata of a publication.
 */
export function MetadataFields(props: {
  draft: IDraft;
  set: (key: keyof IDraft, value: string) => void;
  setCreator: (index: number, key: keyof ICreator, value: string) => void;
  addCreator: () => void;
  licenses: { id: string; name: string }[];
  problems: Problems;
  trans: TranslationBundle;
}): JSX.Element {
  const { draft, set, problems, trans } = props;
  const field = { draft, set, problems };
  return (
    <>
      <TextField
        name="files"
        label={trans.__(
          'Files and folders (one per line, relative to your home)'
        )}
        rows={3}
        {...field}
      />
      <TextField name="title" label={trans.__('Title')} {...field} />
      <Creators
        creators={draft.creators}
        setCreator={props.setCreator}
        addCreator={props.addCreator}
        problems={problems}
        trans={trans}
      />
      <TextField
        name="description"
        label={trans.__('Description')}
        rows={3}
        {...field}
      />
      <TextField
        name="license"
        label={trans.__('Licence (SPDX id)')}
        list="esap-publish-licenses"
        {...field}
      >
        <datalist id="esap-publish-licenses">
          {props.licenses.map(item => (
            <option key={item.id} value={item.id}>
              {item.name}
            </option>
          ))}
        </datalist>
      </TextField>
      <label className="esap-Publish-field">
        <span>{trans.__('Keywords (comma-separated)')}</span>
        <input
          name="keywords"
          value={draft.keywords}
          onChange={event => set('keywords', event.target.value)}
        />
      </label>
      <label className="esap-Publish-field">
        <span>
          {trans.__(
            'Related identifiers (one per line: DOI or URL, then relation)'
          )}
        </span>
        <textarea
          name="related"
          rows={2}
          value={draft.related}
          placeholder="10.5281/zenodo.1234 IsDerivedFrom"
          onChange={event => set('related', event.target.value)}
        />
        {[...problems.keys()]
          .filter(key => key.startsWith('related_identifiers'))
          .map(key => (
            <FieldError key={key} problems={problems} field={key} />
          ))}
      </label>
      <TextField
        name="community"
        label={trans.__('Community (optional)')}
        {...field}
      />
    </>
  );
}

/**
 * The archive to publish to, and the user's token when it needs one.
 */
export function ArchiveFields(props: {
  archives: IArchiveChoice[];
  archive: string;
  setArchive: (name: string) => void;
  needsToken: boolean;
  token: string;
  setToken: (token: string) => void;
  problems: Problems;
  trans: TranslationBundle;
}): JSX.Element {
  const { archives, archive, problems, trans } = props;
  const chosen = archives.find(a => a.name === archive);
  return (
    <>
      <label className="esap-Publish-field">
        <span>{trans.__('Archive')}</span>
        <select
          name="archive"
          value={archive}
          onChange={event => props.setArchive(event.target.value)}
        >
          {archives.map(item => (
            <option key={item.name} value={item.name}>
              {item.title}
            </option>
          ))}
        </select>
        {chosen ? (
          <div className="esap-Publish-hint">{chosen.description}</div>
        ) : null}
        <FieldError problems={problems} field="archive" />
      </label>
      {props.needsToken ? (
        <label className="esap-Publish-field">
          <span>
            {trans.__(
              'Your personal access token (stored once, never shown again)'
            )}
          </span>
          <input
            name="token"
            type="password"
            autoComplete="off"
            value={props.token}
            onChange={event => props.setToken(event.target.value)}
          />
          <FieldError problems={problems} field="token" />
        </label>
      ) : null}
    </>
  );
}
