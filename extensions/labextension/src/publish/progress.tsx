import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatBytes, IPreview, IPublication, isWebLink } from './api';

/**
 * What the package will hold: its files, size and input datasets.
 */
export function PreviewList(props: {
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

/**
 * A running publication's step and bytes, where it stopped (with Retry),
 * or the published record's DOI and link (http(s) links only).
 */
export function Progress(props: {
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
