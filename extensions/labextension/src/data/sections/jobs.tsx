import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { IJob, isActivePhase } from '../api';
import { DataPanelModel } from '../model';
import { ErrorBox, IDataPanelActions, Section, showFailure } from './section';

function phaseClass(job: IJob): string {
  return `esap-Phase esap-Phase-${job.phase.toLowerCase()}`;
}

/**
 * The user's asynchronous TAP jobs, kept server-side across sessions.
 */
export class JobsSection extends Section {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    private readonly _actions: IDataPanelActions
  ) {
    super(model, trans, 'jobs', trans.__('Jobs'));
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.loadJobs();
  }

  protected render(): JSX.Element {
    const { model, trans } = this;
    const jobs = model.jobs;
    return (
      <div className="esap-Jobs">
        <ErrorBox error={model.jobsError} />
        {jobs === null && !model.jobsError && (
          <p className="esap-Muted">{trans.__('Loading jobs…')}</p>
        )}
        {jobs !== null && jobs.length === 0 && (
          <p className="esap-Muted">
            {trans.__(
              'No jobs yet. Submit an ADQL query as a job above; it keeps running when you close the lab.'
            )}
          </p>
        )}
        {jobs !== null && jobs.length > 0 && (
          <ul className="esap-List">
            {jobs.map(job => (
              <li
                key={job.id}
                className="esap-Job"
                data-esap-job={job.id}
                data-esap-phase={job.phase}
              >
                <div className="esap-Job-line">
                  <span className={phaseClass(job)}>{job.phase}</span>
                  <span className="esap-Job-service">{job.service}</span>
                </div>
                <code className="esap-Job-query" title={job.query}>
                  {job.query}
                </code>
                {job.error && <p className="esap-Error-inline">{job.error}</p>}
                <div className="esap-Job-actions">
                  <span className="esap-Muted esap-Job-time">
                    {new Date(job.created).toLocaleString()}
                  </span>
                  {job.phase === 'COMPLETED' && job.result_id && (
                    <Button
                      minimal
                      small
                      className="esap-LinkButton"
                      onClick={() => void this._open(job)}
                    >
                      {trans.__('Open results')}
                    </Button>
                  )}
                  <Button
                    minimal
                    small
                    className="esap-LinkButton"
                    onClick={() => void this._delete(job)}
                  >
                    {isActivePhase(job.phase)
                      ? trans.__('Abort')
                      : trans.__('Delete')}
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }

  private async _open(job: IJob): Promise<void> {
    if (!job.result_id) {
      return;
    }
    try {
      const page = await this.model.api.page(job.result_id, {
        offset: 0,
        limit: 200
      });
      this._actions.openResult(
        {
          event: 'rows',
          service: job.service,
          result_id: page.result_id,
          columns: page.columns,
          rows: page.rows,
          total: page.total,
          truncated: false,
          elapsed_ms: 0
        },
        this.trans.__('%1: job %2', job.service, job.id)
      );
    } catch (reason) {
      showFailure(this.trans.__('Could not open the job results'), reason);
    }
  }

  private async _delete(job: IJob): Promise<void> {
    const active = isActivePhase(job.phase);
    const answer = await showDialog({
      title: active ? this.trans.__('Abort job') : this.trans.__('Delete job'),
      body: active
        ? this.trans.__(
            'Abort job %1 on %2? The service stops running it.',
            job.id,
            job.service
          )
        : this.trans.__(
            'Delete job %1 and its results on %2?',
            job.id,
            job.service
          ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({
          label: active ? this.trans.__('Abort') : this.trans.__('Delete')
        })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await this.model.deleteJob(job.id);
    } catch (reason) {
      showFailure(this.trans.__('Could not delete job %1', job.id), reason);
    }
  }
}
