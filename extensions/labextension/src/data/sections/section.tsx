import { showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { EsapAPIError } from '../../request';
import { IRowsEvent } from '../api';
import { DataPanelModel } from '../model';

/**
 * What the Data panel asks of the application.
 */
export interface IDataPanelActions {
  /** Show a stored result (an ADQL answer or a finished job) in the main area. */
  openResult: (rows: IRowsEvent, label: string) => void;
  /** Run the command that inserts the last search in a notebook. */
  openInNotebook: () => void;
}

/**
 * An error's message and fix, as text.
 */
export function ErrorBox(props: {
  error: EsapAPIError | null;
}): JSX.Element | null {
  const { error } = props;
  if (!error) {
    return null;
  }
  return (
    <div className="esap-Error" role="alert" data-esap-error-code={error.code}>
      <p>{error.message}</p>
      {error.fix && <p className="esap-Error-fix">{error.fix}</p>}
    </div>
  );
}

/**
 * Tell the user that `title` failed, with the error's message and fix.
 */
export function showFailure(title: string, reason: unknown): void {
  const error = EsapAPIError.from(reason);
  void showErrorMessage(title, `${error.message}\n${error.fix}`);
}

/**
 * A section of the Data panel: a React view re-rendered on every model
 * change, one fold of the panel's accordion.
 */
export abstract class Section extends ReactWidget {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    name: string,
    label: string
  ) {
    super();
    this.model = model;
    this.trans = trans;
    this.addClass('esap-DataSection');
    this.node.dataset.esapSection = name;
    this.title.label = label;
    model.changed.connect(() => this.update());
  }

  protected readonly model: DataPanelModel;
  protected readonly trans: TranslationBundle;
}
