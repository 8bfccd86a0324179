import { ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { EsapAPIError } from '../request';
import { IPublication, isWebLink, PublishAPI } from './api';

interface IListProps {
  trans: TranslationBundle;
  onNewVersion: (publication: IPublication) => void;
}

/**
 * "My publications": every publication, finished or not; unfinished ones say
 * where they stopped and can be resumed. Archive text is rendered as text.
 */
function PublicationsList(props: IListProps): JSX.Element {
  const { trans } = props;
  const [items, setItems] = React.useState<IPublication[] | null>(null);
  const [message, setMessage] = React.useState<string | null>(null);

  const reload = React.useCallback(async () => {
    try {
      setItems(await PublishAPI.list());
      setMessage(null);
    } catch (reason) {
      setMessage(
        reason instanceof EsapAPIError ? reason.message : String(reason)
      );
    }
  }, []);

  React.useEffect(() => {
    void reload();
    const timer = window.setInterval(() => void reload(), 3000);
    return () => window.clearInterval(timer);
  }, [reload]);

  const retry = async (id: string) => {
    try {
      await PublishAPI.retry(id);
      await reload();
    } catch (reason) {
      setMessage(
        reason instanceof EsapAPIError ? reason.message : String(reason)
      );
    }
  };

  return (
    <div className="esap-Publications">
      <div className="esap-Publications-toolbar">
        <button
          type="button"
          className="jp-mod-styled"
          onClick={() => void reload()}
        >
          {trans.__('Refresh')}
        </button>
      </div>
      {message ? <div className="esap-Publish-message">{message}</div> : null}
      {items && items.length === 0 ? (
        <div className="esap-Publications-empty">
          {trans.__('No publications yet.')}
        </div>
      ) : null}
      <table className="esap-Publications-table">
        <tbody>
          {(items ?? []).map(item => (
            <tr
              key={item.id}
              data-id={item.id}
              className="esap-Publications-row"
            >
              <td>{item.title}</td>
              <td>{item.archive}</td>
              <td>
                {item.published && item.record ? (
                  <>
                    {item.record.doi ? <div>{item.record.doi}</div> : null}
                    {isWebLink(item.record.url) ? (
                      <a
                        href={item.record.url}
                        target="_blank"
                        rel="noopener noreferrer"
                      >
                        {item.record.url}
                      </a>
                    ) : (
                      <span>{item.record.url}</span>
                    )}
                  </>
                ) : (
                  <span>
                    {item.running
                      ? trans.__('running: %1', item.state_text)
                      : trans.__('unfinished: %1', item.state_text)}
                    {item.error ? ` — ${item.error}` : ''}
                  </span>
                )}
              </td>
              <td>
                {!item.published && !item.running ? (
                  <button
                    type="button"
                    className="jp-mod-styled"
                    onClick={() => void retry(item.id)}
                  >
                    {trans.__('Retry')}
                  </button>
                ) : null}
                {item.published ? (
                  <button
                    type="button"
                    className="jp-mod-styled"
                    onClick={() => props.onNewVersion(item)}
                  >
                    {trans.__('New version')}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The "My publications" widget for the main area.
 */
export class PublicationsWidget extends ReactWidget {
  constructor(
    private readonly _trans: TranslationBundle,
    private readonly _onNewVersion: (publication: IPublication) => void
  ) {
    super();
    this.id = 'esap-publications';
    this.title.label = _trans.__('My publications');
    this.title.closable = true;
    this.addClass('esap-PublicationsWidget');
  }

  protected render(): JSX.Element {
    return (
      <PublicationsList trans={this._trans} onNewVersion={this._onNewVersion} />
    );
  }
}
