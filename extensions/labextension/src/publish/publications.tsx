import { ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { isActive } from '../jobs';
import { EsapAPIError } from '../request';
import { IPublication, isWebLink, PublishAPI } from './api';
import {
  describeReproduction,
  IReproduction,
  latestBySource,
  ReproduceAPI
} from './reproduce';

/**
 * What the list asks its owner to do with a publication or its reproduction.
 */
export interface IPublicationActions {
  onNewVersion: (publication: IPublication) => void;
  /** Re-run the publication's notebook and compare its outputs. */
  onReproduce: (publication: IPublication) => void;
  /** Open a reproduction's report (a path relative to the home). */
  onOpenReport: (path: string) => void;
  /** Publish a reproduction's report, related to the publication. */
  onAttachReport: (
    publication: IPublication,
    reproduction: IReproduction
  ) => void;
}

interface IListProps extends IPublicationActions {
  trans: TranslationBundle;
}

/**
 * "My publications": every publication, finished or not; unfinished ones say
 * where they stopped and can be resumed. Archive text is rendered as text.
 */
function PublicationsList(props: IListProps): JSX.Element {
  const { trans } = props;
  const [items, setItems] = React.useState<IPublication[] | null>(null);
  const [reproductions, setReproductions] = React.useState<
    Map<string, IReproduction>
  >(new Map());
  const [message, setMessage] = React.useState<string | null>(null);

  const reload = React.useCallback(async () => {
    try {
      const [publications, reproduced] = await Promise.all([
        PublishAPI.list(),
        ReproduceAPI.list()
      ]);
      setItems(publications);
      setReproductions(latestBySource(reproduced));
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
                {item.published ? (
                  <Reproduction
                    trans={trans}
                    publication={item}
                    job={reproductions.get(item.id) ?? null}
                    actions={props}
                    onStarted={() => void reload()}
                  />
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
 * A published row's reproduction: start one, see where it is, open or attach its report.
 */
function Reproduction(props: {
  trans: TranslationBundle;
  publication: IPublication;
  job: IReproduction | null;
  actions: IPublicationActions;
  onStarted: () => void;
}): JSX.Element {
  const { trans, publication, job, actions } = props;
  const running = job !== null && isActive(job);
  const report = job && !running ? job.result?.report_html : null;
  return (
    <div className="esap-Reproduction" data-state={job?.state ?? 'none'}>
      <button
        type="button"
        className="jp-mod-styled esap-Reproduction-start"
        disabled={running}
        title={trans.__(
          'Re-run the notebook from the record, in its environment, and compare its outputs'
        )}
        onClick={() => {
          actions.onReproduce(publication);
          window.setTimeout(props.onStarted, 500);
        }}
      >
        {trans.__('Reproduce')}
      </button>
      {job ? (
        <span className="esap-Reproduction-status">
          {describeReproduction(job)}
        </span>
      ) : null}
      {report ? (
        <button
          type="button"
          className="jp-mod-styled esap-Reproduction-report"
          onClick={() => actions.onOpenReport(report)}
        >
          {trans.__('Open report')}
        </button>
      ) : null}
      {report && job ? (
        <button
          type="button"
          className="jp-mod-styled"
          onClick={() => actions.onAttachReport(publication, job)}
        >
          {trans.__('Attach report')}
        </button>
      ) : null}
    </div>
  );
}

/**
 * The "My publications" widget for the main area.
 */
export class PublicationsWidget extends ReactWidget {
  constructor(
    private readonly _trans: TranslationBundle,
    private readonly _actions: IPublicationActions
  ) {
    super();
    this.id = 'esap-publications';
    this.title.label = _trans.__('My publications');
    this.title.closable = true;
    this.addClass('esap-PublicationsWidget');
  }

  protected render(): JSX.Element {
    return <PublicationsList trans={this._trans} {...this._actions} />;
  }
}
