import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  LabIcon,
  SidePanel,
  ToolbarButton,
  refreshIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import { IConfigWarning } from './hubconfig';

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
 * Which configuration the panels run on, under a panel's heading: the
 * hub's, an `esap.yaml` (named by its path) or the default that ships with
 * the package; and each user file the server set aside for its problems,
 * with the file, every key at fault and its fix, while the default runs.
 * Text only (`textContent`): a path or a message is never markup.
 */
export class ConfigSource extends Widget {
  constructor(trans: TranslationBundle) {
    super();
    this._trans = trans;
    this.addClass('esap-ConfigSource');
  }

  /** Show `source` (`hub`, `file:<path>`, `default`) and `warnings`. */
  setSource(source: string | null, warnings: IConfigWarning[]): void {
    const trans = this._trans;
    const node = this.node;
    node.replaceChildren();
    node.dataset.esapSource = source ?? '';
    const line = document.createElement('p');
    line.className = 'esap-ConfigSource-line jp-text-truncated';
    if (source === 'hub') {
      line.textContent = trans.__('Configuration: the hub’s');
    } else if (source === 'default') {
      line.textContent = trans.__('Configuration: the default');
      line.title = trans.__(
        'No esap.yaml of yours is in use: write ~/.jupyter/esap.yaml to change what the panels offer'
      );
    } else if (source?.startsWith('file:')) {
      const path = source.slice('file:'.length);
      line.textContent = trans.__('Configuration: %1', path);
      line.title = path;
    }
    if (line.textContent) {
      node.appendChild(line);
    }
    for (const warning of warnings) {
      node.appendChild(this._warning(warning));
    }
    this.setHidden(node.childElementCount === 0);
  }

  private _warning(warning: IConfigWarning): HTMLElement {
    const box = document.createElement('div');
    box.className = 'esap-ConfigSource-warning';
    box.setAttribute('role', 'alert');
    box.dataset.esapFile = warning.file;
    const message = document.createElement('p');
    message.className = 'esap-ConfigSource-message';
    message.textContent = warning.message;
    box.appendChild(message);
    if (warning.problems.length > 0) {
      const list = document.createElement('ul');
      list.className = 'esap-ConfigSource-problems';
      for (const problem of warning.problems) {
        const item = document.createElement('li');
        item.dataset.esapField = problem.field;
        const field = document.createElement('code');
        field.textContent = problem.field;
        item.append(
          field,
          `: ${problem.message}`,
          problem.fix ? ` — ${problem.fix}` : ''
        );
        list.appendChild(item);
      }
      box.appendChild(list);
    }
    if (warning.fix) {
      const fix = document.createElement('p');
      fix.className = 'esap-ConfigSource-fix';
      fix.textContent = warning.fix;
      box.appendChild(fix);
    }
    return box;
  }

  private _trans: TranslationBundle;
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
   * Say under the heading which configuration the panels run on, and the
   * warnings of a user file set aside (see `ConfigSource`).
   */
  showConfigSource(
    source: string | null,
    warnings: IConfigWarning[],
    trans: TranslationBundle
  ): void {
    if (!this._configSource) {
      this._configSource = new ConfigSource(trans);
      this.header.addClass('esap-mod-withConfigSource');
      this.header.addWidget(this._configSource);
    }
    this._configSource.setSource(source, warnings);
  }

  private _configSource: ConfigSource | null = null;

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
