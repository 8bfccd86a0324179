import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  describe,
  IFieldProblem,
  IPreview,
  IPublication,
  PublishAPI
} from './api';
import { useArchives } from './archives';
import { requestOf, useDraft } from './draft';
import { ArchiveFields, MetadataFields, Problems } from './fields';
import { PreviewList, Progress } from './progress';

/**
 * What the dialog starts with.
 */
export interface IPublishOptions {
  files: string[];
  versionOf?: string | null;
  title?: string;
  /** The description to start from (a reproduction report's summary). */
  description?: string;
  /** Related identifiers to start from, one per line: identifier, then relation. */
  related?: string;
  onPublished?: (publication: IPublication) => void;
}

/**
 * The server's problems by field, each message with its fix.
 */
function problemsOf(list: readonly IFieldProblem[]): Problems {
  return new Map(
    list.map(p => [
      p.field,
      p.fix && !p.message.includes(p.fix)
        ? `${p.message} — ${p.fix}`
        : p.message
    ])
  );
}

/**
 * The body of the Publish dialog: files, metadata, archive, token, preview,
 * progress and the result. Every text from the server or an archive is
 * rendered as text (React escapes it); only http(s) URLs become links.
 */
function PublishForm(props: {
  options: IPublishOptions;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans, options } = props;
  const { draft, set, setCreator, addCreator } = useDraft(options);
  const [message, setMessage] = React.useState<string | null>(null);
  const { archives, licenses, archive, setArchive, tokenStored } =
    useArchives(setMessage);
  const [token, setToken] = React.useState('');
  const [problems, setProblems] = React.useState<Problems>(new Map());
  const [preview, setPreview] = React.useState<IPreview | null>(null);
  const [publication, setPublication] = React.useState<IPublication | null>(
    null
  );
  const [busy, setBusy] = React.useState(false);

  const chosen = archives.find(a => a.name === archive);
  const needsToken = Boolean(chosen?.needsToken && !chosen.hasToken);
  const request = () => requestOf(draft, archive, options.versionOf ?? null);

  const showProblems = (list: readonly IFieldProblem[], text: string) => {
    setProblems(problemsOf(list));
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
    tokenStored(archive);
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
    setPublication(started);
    const current = await PublishAPI.follow(started, setPublication);
    setPublication(current);
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
      <MetadataFields
        draft={draft}
        set={set}
        setCreator={setCreator}
        addCreator={addCreator}
        licenses={licenses}
        problems={problems}
        trans={trans}
      />
      <ArchiveFields
        archives={archives}
        archive={archive}
        setArchive={setArchive}
        needsToken={needsToken}
        token={token}
        setToken={setToken}
        problems={problems}
        trans={trans}
      />
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
