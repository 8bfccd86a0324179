import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  LabIcon,
  SidePanel,
  ToolbarButton,
  refreshIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

/**
 * The heading of an ESAP side panel, as JupyterLab's own side panels have
 * one (the table of contents, the extension manager): an `h2` in the
 * panel's header, cut short with an ellipsis when the sidebar is narrow.
 */
export class PanelHeading extends Widget {
  constructor(text: string) {
    super({ node: document.createElement('h2') });
    this.addClass('esap-SidePanel-heading');
    this.addClass('jp-text-truncated');
    this.setText(text);
  }

  /** Show `text`, with `tooltip` (or the text itself) on hover. */
  setText(text: string, tooltip?: string): void {
    this.node.textContent = text;
    this.node.title = tooltip ?? text;
  }
}

/**
 * A panel of the left sidebar in the one ESAP layout: JupyterLab's
 * `SidePanel` with a heading, a toolbar under it when the panel has
 * actions, and content that scrolls below them while they stay in place.
 * Every ESAP side panel is one, so they look alike and like the lab's own.
 */
export class EsapSidePanel extends SidePanel {
  constructor(options: EsapSidePanel.IOptions) {
    super({
      content: options.content,
      translator: options.translator ?? nullTranslator
    });
    this.id = options.id;
    this.addClass('esap-SidePanel');
    this.addClass(options.className);
    this.title.icon = options.icon;
    this.title.caption = options.caption ?? options.heading;
    this.heading = new PanelHeading(options.heading);
    this.header.addWidget(this.heading);
    if (options.content) {
      options.content.addClass('esap-SidePanel-body');
    }
  }

  /** The heading in the panel's header. */
  readonly heading: PanelHeading;

  /**
   * Add a refresh button to the toolbar: a command's, or one that calls
   * `onClick`.
   */
  addRefreshButton(
    refresh:
      | { commands: CommandRegistry; command: string }
      | { onClick: () => void; tooltip: string }
  ): void {
    const button =
      'command' in refresh
        ? new CommandToolbarButton({
            commands: refresh.commands,
            id: refresh.command,
            icon: refreshIcon,
            label: ''
          })
        : new ToolbarButton({
            icon: refreshIcon,
            onClick: refresh.onClick,
            tooltip: refresh.tooltip
          });
    this.toolbar.addItem('refresh', button);
  }
}

export namespace EsapSidePanel {
  export interface IOptions {
    /** The widget id, the `data-id` of its tab in the sidebar. */
    id: string;
    /** The panel's own class (`esap-DataPanel`, …). */
    className: string;
    /** The text of the heading. */
    heading: string;
    /** The tab's tooltip; the heading when absent. */
    caption?: string;
    /** The tab's icon. */
    icon: LabIcon;
    /** What the panel shows; an accordion of sections when absent. */
    content?: Panel;
    translator?: ITranslator;
  }
}
