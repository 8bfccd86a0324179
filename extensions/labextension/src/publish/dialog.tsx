import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { EsapAPIError } from '../request';
import {
  formatBytes,
  ICreator,
  IFieldProblem,
  IMetadata,
  IPreview,
  IPublication,
  isWebLink,
  PublishAPI
} from './api';

/**
 * What the dialog starts with.
 */
export interface IPublishOptions {
  files: string[];
  versionOf?: string | null;
  title?: string;
  onPublished?: (publication: IPublication) => void;
}

interface IArchiveChoice {
  name: string;
  title: string;
  description: string;
  needsToken: boolean;
  hasToken: boolean;
}

interface IFormProps {
  options: IPublishOptions;
  trans: TranslationBundle;
}

const EMPTY_CREATOR: ICreator = { name: '', affiliation: '', orcid: '' };

/**
 * The field's error under an input, as plain text.
 */
function FieldError(props: { problems: Map<string, string>; field: string }) {
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
 * The body of the Publish dialog: files, metadata, archive, token, preview,
 * progress and the result. Every text from the server or an archive is
 * rendered as text (React escapes it); only http(s) URLs become links.
 */
function PublishForm(props: IFormProps): JSX.Element {
  const { trans, options } = props;
  const [files, setFiles] = React.useState(options.files.join('\n'));
  const [title, setTitle] = React.useState(options.title ?? '');
  const [creators, setCreators] = React.useState<ICreator[]>([
    { ...EMPTY_CREATOR }
  ]);
  const [description, setDescription] = React.useState('');
  const [license, setLicense] = React.useState('CC-BY-4.0');
  const [keywords, setKeywords] = React.useState('');
  const [related, setRelated] = React.useState('');
  const [community, setCommunity] = React.useState('');
  const [archives, setArchives] = React.useState<IArchiveChoice[]>([]);
  const [archive, setArchive] = React.useState('');
  const [token, setToken] = React.useState('');
  const [licenses, setLicenses] = React.useState<
    { id: string; name: string }[]
  >([]);
  const [problems, setProblems] = React.useState<Map<string, string>>(
    new Map()
  );
  const [message, setMessage] = React.useState<string | null>(null);
  const [preview, setPreview] = React.useState<IPreview | null>(null);
  const [publication, setPublication] = React.useState<IPublication | null>(
    null
  );
  const [busy, setBusy] = React.useState(false);

  React.useEffect(() => {
    void (async () => {
      try {
        const [offered, tokens, choices] = await Promise.all([
          PublishAPI.archives(),
          PublishAPI.tokens(),
          PublishAPI.choices()
        ]);
        const choicesList = offered.map(entry => {
          const state = tokens.find(t => t.archive === entry.name);
          return {
            name: entry.name,
            title: entry.title,
            description: entry.description,
            needsToken: state?.needs_token ?? false,
            hasToken: state?.has_token ?? false
          };
        });
        setArchives(choicesList);
        setArchive(current => current || (choicesList[0]?.name ?? ''));
        setLicenses(choices.licenses);
      } catch (reason) {
        setMessage(describe(reason));
      }
    })();
  }, []);

  const chosen = archives.find(a => a.name === archive);
  const needsToken = Boolean(chosen?.needsToken && !chosen.hasToken);

  const request = () => {
    const metadata: IMetadata = {
      title,
      creators: creators
        .filter(c => c.name.trim() || c.affiliation?.trim() || c.orcid?.trim())
        .map(c => ({
          name: c.name,
          ...(c.affiliation?.trim() ? { affiliation: c.affiliation } : {}),
          ...(c.orcid?.trim() ? { orcid: c.orcid } : {})
        })),
      description,
      license,
      keywords: keywords
        .split(',')
        .map(k => k.trim())
        .filter(k => k),
      related_identifiers: related
        .split('\n')
        .map(line => line.trim())
        .filter(line => line)
        .map(line => {
          const [identifier, relation] = line.split(/\s+/, 2);
          return { identifier, relation: relation || 'IsSupplementTo' };
        }),
      ...(community.trim() ? { community: community.trim() } : {})
    };
    return {
      files: files
        .split('\n')
        .map(f => f.trim())
        .filter(f => f),
      metadata,
      archive,
      version_of: options.versionOf ?? null
    };
  };

  const showProblems = (list: IFieldProblem[], text: string) => {
    setProblems(new Map(list.map(p => [p.field, p.message])));
    setMessage(text);
  };

  const storeToken = async (): Promise<boolean> => {
    if (!needsToken) {
      return true;
    }
    if (!token.trim()) {
      showProblems(
        [
          {
            field: 'token',
            message: trans.__(
              'Paste your personal access token for this archive.'
            )
          }
        ],
        trans.__('This archive needs your personal token.')
      );
      return false;
    }
    await PublishAPI.storeToken(archive, token.trim());
    setToken('');
    setArchives(list =>
      list.map(a => (a.name === archive ? { ...a, hasToken: true } : a))
    );
    return true;
  };

  const onPreview = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const answer = await PublishAPI.preview(request());
      if (answer.ok) {
        setProblems(new Map());
        setPreview(answer.value);
      } else {
        setPreview(null);
        showProblems(answer.problems, answer.message);
      }
    } catch (reason) {
      setMessage(describe(reason));
    } finally {
      setBusy(false);
    }
  };

  const follow = async (started: IPublication) => {
    let current = started;
    setPublication(current);
    while (current.running || (!current.published && !current.error)) {
      await new Promise(resolve => setTimeout(resolve, 400));
      current = await PublishAPI.get(current.id);
      setPublication(current);
    }
    if (current.published) {
      options.onPublished?.(current);
    }
  };

  const onPublish = async () => {
    setBusy(true);
    setMessage(null);
    try {
      if (!(await storeToken())) {
        return;
      }
      const answer = await PublishAPI.start(request());
      if (!answer.ok) {
        showProblems(answer.problems, answer.message);
        return;
      }
      setProblems(new Map());
      await follow(answer.value);
    } catch (reason) {
      setMessage(describe(reason));
    } finally {
      setBusy(false);
    }
  };

  const onRetry = async () => {
    if (!publication) {
      return;
    }
    setBusy(true);
    try {
      await follow(await PublishAPI.retry(publication.id));
    } catch (reason) {
      setMessage(describe(reason));
    } finally {
      setBusy(false);
    }
  };

  const setCreator = (index: number, key: keyof ICreator, value: string) => {
    setCreators(list =>
      list.map((c, i) => (i === index ? { ...c, [key]: value } : c))
    );
  };

  if (publication) {
    return (
      <Progress
        publication={publication}
        trans={trans}
        busy={busy}
        onRetry={onRetry}
      />
    );
  }

  return (
    <form
      className="esap-Publish-form"
      onSubmit={event => event.preventDefault()}
    >
      <label className="esap-Publish-field">
        <span>
          {trans.__('Files and folders (one per line, relative to your home)')}
        </span>
        <textarea
          name="files"
          rows={3}
          value={files}
          onChange={event => setFiles(event.target.value)}
        />
        <FieldError problems={problems} field="files" />
      </label>
      <label className="esap-Publish-field">
        <span>{trans.__('Title')}</span>
        <input
          name="title"
          value={title}
          onChange={event => setTitle(event.target.value)}
        />
        <FieldError problems={problems} field="title" />
      </label>
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
            <FieldError
              problems={problems}
              field={`creators[${index}].orcid`}
            />
          </div>
        ))}
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          onClick={() => setCreators(list => [...list, { ...EMPTY_CREATOR }])}
        >
          {trans.__('Add creator')}
        </button>
        <FieldError problems={problems} field="creators" />
      </fieldset>
      <label className="esap-Publish-field">
        <span>{trans.__('Description')}</span>
        <textarea
          name="description"
          rows={3}
          value={description}
          onChange={event => setDescription(event.target.value)}
        />
        <FieldError problems={problems} field="description" />
      </label>
      <label className="esap-Publish-field">
        <span>{trans.__('Licence (SPDX id)')}</span>
        <input
          name="license"
          list="esap-publish-licenses"
          value={license}
          onChange={event => setLicense(event.target.value)}
        />
        <datalist id="esap-publish-licenses">
          {licenses.map(item => (
            <option key={item.id} value={item.id}>
              {item.name}
            </option>
          ))}
        </datalist>
        <FieldError problems={problems} field="license" />
      </label>
      <label className="esap-Publish-field">
        <span>{trans.__('Keywords (comma-separated)')}</span>
        <input
          name="keywords"
          value={keywords}
          onChange={event => setKeywords(event.target.value)}
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
          value={related}
          placeholder="10.5281/zenodo.1234 IsDerivedFrom"
          onChange={event => setRelated(event.target.value)}
        />
        {[...problems.keys()]
          .filter(field => field.startsWith('related_identifiers'))
          .map(field => (
            <FieldError key={field} problems={problems} field={field} />
          ))}
      </label>
      <label className="esap-Publish-field">
        <span>{trans.__('Community (optional)')}</span>
        <input
          name="community"
          value={community}
          onChange={event => setCommunity(event.target.value)}
        />
        <FieldError problems={problems} field="community" />
      </label>
      <label className="esap-Publish-field">
        <span>{trans.__('Archive')}</span>
        <select
          name="archive"
          value={archive}
          onChange={event => setArchive(event.target.value)}
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
      {needsToken ? (
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
            value={token}
            onChange={event => setToken(event.target.value)}
          />
          <FieldError problems={problems} field="token" />
        </label>
      ) : null}
      {options.versionOf ? (
        <div className="esap-Publish-hint">
          {trans.__('A new version of publication %1', options.versionOf)}
        </div>
      ) : null}
      {message ? (
        <div className="esap-Publish-message" role="alert">
          {message}
        </div>
      ) : null}
      {preview ? <PreviewList preview={preview} trans={trans} /> : null}
      <div className="esap-Publish-actions">
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject esap-Publish-preview"
          disabled={busy}
          onClick={() => void onPreview()}
        >
          {trans.__('Preview package')}
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept esap-Publish-submit"
          disabled={busy}
          onClick={() => void onPublish()}
        >
          {trans.__('Publish')}
        </button>
      </div>
    </form>
  );
}

function PreviewList(props: {
  preview: IPreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  return (
    <div className="esap-Publish-package">
      <div>
        {trans.__(
          '%1 files, %2, to %3',
          preview.files.length,
          formatBytes(preview.total_size),
          preview.archive
        )}
      </div>
      <ul>
        {preview.package.map(name => (
          <li key={name}>{name}</li>
        ))}
      </ul>
      {preview.inputs.length ? (
        <div>
          {trans.__('Input datasets:')}
          <ul>
            {preview.inputs.map(input => (
              <li key={input.access_url}>
                {input.service}: {input.access_url}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

function Progress(props: {
  publication: IPublication;
  trans: TranslationBundle;
  busy: boolean;
  onRetry: () => void;
}): JSX.Element {
  const { publication, trans } = props;
  const progress = publication.progress;
  const share = progress && progress.total ? progress.sent / progress.total : 0;
  if (publication.published && publication.record) {
    const record = publication.record;
    return (
      <div className="esap-Publish-result">
        <div>{trans.__('Published: %1', publication.title)}</div>
        {record.doi ? (
          <div>
            DOI: <span className="esap-Publish-doi">{record.doi}</span>
          </div>
        ) : null}
        <div>
          {isWebLink(record.url) ? (
            <a
              className="esap-Publish-link"
              href={record.url}
              target="_blank"
              rel="noopener noreferrer"
            >
              {record.url}
            </a>
          ) : (
            <span className="esap-Publish-link">{record.url}</span>
          )}
        </div>
      </div>
    );
  }
  return (
    <div className="esap-Publish-status">
      <div>
        {progress?.step === 'check'
          ? trans.__('checking the copy the draft already holds')
          : publication.state_text}
        {progress?.file ? ` — ${progress.file}` : ''}
      </div>
      <progress className="esap-Publish-progress" max={1} value={share} />
      <div>
        {progress
          ? `${formatBytes(progress.sent)} / ${formatBytes(progress.total)}`
          : ''}
      </div>
      {publication.error && !publication.running ? (
        <div className="esap-Publish-message" role="alert">
          {trans.__('Stopped: %1', publication.error)}
          {publication.fix ? ` — ${publication.fix}` : ''}
          <div>
            <button
              type="button"
              className="jp-mod-styled jp-mod-accept"
              disabled={props.busy}
              onClick={props.onRetry}
            >
              {trans.__('Retry (resumes the same draft)')}
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}

function describe(reason: unknown): string {
  if (reason instanceof EsapAPIError) {
    return reason.fix ? `${reason.message} — ${reason.fix}` : reason.message;
  }
  return String(reason);
}

/**
 * The dialog body widget.
 */
export class PublishDialogBody extends ReactWidget {
  constructor(
    private readonly _options: IPublishOptions,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('esap-Publish');
  }

  protected render(): JSX.Element {
    return <PublishForm options={this._options} trans={this._trans} />;
  }
}

/**
 * Open the Publish dialog; it closes with its Close button.
 */
export async function openPublishDialog(
  options: IPublishOptions,
  trans: TranslationBundle
): Promise<void> {
  await showDialog({
    title: options.versionOf
      ? trans.__('Publish a new version')
      : trans.__('Publish'),
    body: new PublishDialogBody(options, trans),
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })],
    hasClose: true
  });
}
