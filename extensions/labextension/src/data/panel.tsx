import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { AccordionPanel } from '@lumino/widgets';

import { EsapSidePanel } from '../sidepanel';
import { dataIcon } from './icons';
import { DataPanelModel } from './model';
import { AdqlSection } from './sections/adql';
import { CrossmatchSection } from './sections/crossmatch';
import { HistorySection } from './sections/history';
import { JobsSection } from './sections/jobs';
import { RegistrySection } from './sections/registry';
import { SearchSection } from './sections/search';
import { IDataPanelActions } from './sections/section';

export type { IDataPanelActions };

/**
 * The Data panel of the left sidebar (id `esap-data`): federated search,
 * ADQL and asynchronous jobs, cross-matching, history and the IVOA registry, each a
 * section of an accordion like JupyterLab's own side panels. Nothing is
 * loaded until the panel is first shown.
 */
export class DataPanel extends EsapSidePanel {
  constructor(options: DataPanel.IOptions) {
    const translator = options.translator ?? nullTranslator;
    const trans = translator.load('esap-hub');
    super({
      id: 'esap-data',
      className: 'esap-DataPanel',
      heading: trans.__('Data discovery'),
      icon: dataIcon,
      translator
    });
    this.model = options.model;
    this.addRefreshButton({
      commands: options.commands,
      command: options.refreshCommand
    });

    const { model, actions } = options;
    this.addWidget(new SearchSection(model, trans, translator, actions));
    this.addWidget(new AdqlSection(model, trans, actions));
    this.addWidget(new JobsSection(model, trans, actions));
    this.addWidget(new CrossmatchSection(model, trans, actions));
    this.addWidget(new HistorySection(model, trans, () => this._expand(0)));
    this.addWidget(new RegistrySection(model, trans));
    // Search open; the other sections start collapsed under it.
    for (let i = 1; i < this.content.widgets.length; i++) {
      this._collapse(i);
    }
    if (this.content instanceof AccordionPanel) {
      const accordion = this.content;
      // share the height equally among the open sections, so a section
      // opened under a tall one is never squeezed to nothing
      accordion.expansionToggled.connect(() => {
        accordion.setRelativeSizes(
          accordion.widgets.map(widget => (widget.isHidden ? 0 : 1))
        );
      });
    }
  }

  readonly model: DataPanelModel;

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.model.services === null) {
      void this.model.loadServices();
      void this.model.loadJobs();
    }
  }

  private _expand(index: number): void {
    if (this.content instanceof AccordionPanel) {
      this.content.expand(index);
    }
  }

  private _collapse(index: number): void {
    if (this.content instanceof AccordionPanel) {
      this.content.collapse(index);
    }
  }
}

export namespace DataPanel {
  export interface IOptions {
    model: DataPanelModel;
    commands: CommandRegistry;
    refreshCommand: string;
    actions: IDataPanelActions;
    translator?: ITranslator;
  }
}
