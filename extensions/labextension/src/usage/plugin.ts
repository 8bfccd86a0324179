import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification
} from '@jupyterlab/apputils';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import {
  ToolbarButton,
  refreshIcon,
  userIcon
} from '@jupyterlab/ui-components';

import { formatBytes, IHomeUse } from './api';
import { UsageModel, UsageView } from './view';

/**
 * The command ids of "My usage".
 */
export namespace UsageCommandIDs {
  export const open = 'esap:open-usage';
}

/**
 * Milliseconds between two looks at the home while the lab is open.
 */
const WATCH_EVERY = 10 * 60 * 1000;

/**
 * How full the home was when the user was last warned.
 */
type Level = 'ok' | 'near' | 'over';

const RANK: Record<Level, number> = { ok: 0, near: 1, over: 2 };

function levelOf(home: IHomeUse): Level {
  if (home.share === null) {
    return 'ok';
  }
  return home.share >= 1 ? 'over' : home.warn ? 'near' : 'ok';
}

/**
 * The warning, short enough for a notification to show whole (140 characters).
 */
function warningText(home: IHomeUse, trans: TranslationBundle): string {
  const used = formatBytes(home.bytes);
  const quota = formatBytes(home.quota ?? 0);
  return levelOf(home) === 'over'
    ? trans.__(
        'Your home holds %1, at its %2 quota: downloads and publications are refused. Free space, or ask the hub admin.',
        used,
        quota
      )
    : trans.__(
        'Your home holds %1 of its %2 quota (%3%). Free space before it is full, or ask the hub admin.',
        used,
        quota,
        Math.round((home.share ?? 0) * 100)
      );
}

/**
 * "My usage": a main-area view opened by "ESAP: My usage" (command palette,
 * the ESAP sidebar's toolbar), and a warning when the home nears its quota
 * (JupyterLab's notifications), checked when the lab opens and every ten
 * minutes; the user is warned again only when the home got fuller.
 */
export const usagePlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:usage',
  description:
    'My usage: home against its quota, servers, Dask clusters and jobs; warns near the quota.',
  autoStart: true,
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    const model = new UsageModel(app.serviceManager.serverSettings);
    let view: MainAreaWidget<UsageView> | null = null;
    let warned: Level = 'ok';

    app.commands.addCommand(UsageCommandIDs.open, {
      label: trans.__('ESAP: My usage'),
      caption: trans.__(
        'Your home folder against its quota, your servers, Dask clusters and jobs'
      ),
      icon: userIcon,
      execute: async () => {
        if (!view || view.isDisposed) {
          const content = new UsageView(model, trans);
          view = new MainAreaWidget({ content });
          view.id = 'esap-usage-main';
          view.title.label = trans.__('My usage');
          view.title.icon = userIcon;
          view.title.closable = true;
          view.toolbar.addItem(
            'refresh',
            new ToolbarButton({
              icon: refreshIcon,
              tooltip: trans.__('Measure again'),
              onClick: () => void model.refresh(true)
            })
          );
        }
        if (!view.isAttached) {
          app.shell.add(view, 'main');
        }
        app.shell.activateById(view.id);
        await model.refresh(true);
      }
    });
    // the ESAP sidebar's toolbar button may have been made before the command
    app.commands.notifyCommandChanged(UsageCommandIDs.open);
    if (palette) {
      palette.addItem({
        command: UsageCommandIDs.open,
        category: trans.__('ESAP')
      });
    }

    const watch = async () => {
      const usage = await model.refresh();
      if (!usage) {
        return;
      }
      const level = levelOf(usage.home);
      if (RANK[level] > RANK[warned]) {
        Notification.warning(warningText(usage.home, trans), {
          autoClose: false,
          actions: [
            {
              label: trans.__('My usage'),
              callback: () => void app.commands.execute(UsageCommandIDs.open)
            }
          ]
        });
      }
      warned = level;
    };
    void app.restored.then(() => {
      void watch();
      window.setInterval(() => void watch(), WATCH_EVERY);
    });
  }
};
