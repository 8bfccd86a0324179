import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { IService } from '../api';
import { SearchForm } from '../form';
import { DataPanelModel } from '../model';
import { IDataPanelActions, Section, showFailure } from './section';

/**
 * The federated search: the form, the services to ask and their status.
 */
export class SearchSection extends Section {
  constructor(
    model: DataPanelModel,
    trans: TranslationBundle,
    private readonly _translator: ITranslator,
    private readonly _actions: IDataPanelActions
  ) {
    super(model, trans, 'search', trans.__('Search'));
  }

  protected render(): JSX.Element {
    return (
      <SearchForm
        model={this.model}
        trans={this.trans}
        translator={this._translator}
        onOpenInNotebook={this._actions.openInNotebook}
        onRemoveService={service => void this._remove(service)}
      />
    );
  }

  private async _remove(service: IService): Promise<void> {
    const answer = await showDialog({
      title: this.trans.__('Remove a service'),
      body: this.trans.__(
        'Remove %1 (%2) from your services? You can add it again from the registry.',
        service.title ?? service.name,
        service.url
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: this.trans.__('Remove') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await this.model.removeService(service.name);
    } catch (reason) {
      showFailure(this.trans.__('Could not remove %1', service.name), reason);
    }
  }
}
