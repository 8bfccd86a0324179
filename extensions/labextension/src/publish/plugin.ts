import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  ToolbarButton
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { fileUploadIcon } from '@jupyterlab/ui-components';

import { describe } from './api';
import { openPublishDialog } from './dialog';
import { PublicationsWidget } from './publications';
import { describeReproduction, ReproduceAPI } from './reproduce';

export namespace PublishCommandIDs {
  export const publish = 'esap:publish';
  export const publishSelection = 'esap:publish-selection';
  export const publications = 'esap:publications';
  export const reproduce = 'esap:reproduce';
}

/**
 * Publishing: a Publish button in every notebook's toolbar, "Publish…" on
 * files and folders in the file browser, and "My publications".
 */
export const publishPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:publish',
  description: 'Publish notebooks and results to an archive with a DOI.',
  autoStart: true,
  optional: [
    INotebookTracker,
    IFileBrowserFactory,
    ICommandPalette,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    browsers: IFileBrowserFactory | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    let publications: MainAreaWidget<PublicationsWidget> | null = null;

    const currentNotebook = (): string[] => {
      const path = notebooks?.currentWidget?.context.path;
      return path ? [path] : [];
    };

    app.commands.addCommand(PublishCommandIDs.publish, {
      label: trans.__('Publish…'),
      caption: trans.__('Publish files to an archive with a DOI'),
      icon: fileUploadIcon,
      execute: args => {
        const files = Array.isArray(args.files)
          ? (args.files as string[])
          : currentNotebook();
        const versionOf =
          typeof args.versionOf === 'string' ? args.versionOf : null;
        const title = typeof args.title === 'string' ? args.title : undefined;
        const text = (name: string) =>
          typeof args[name] === 'string' ? (args[name] as string) : undefined;
        return openPublishDialog(
          {
            files,
            versionOf,
            title,
            description: text('description'),
            related: text('related'),
            onPublished: () => {
              if (publications && !publications.isDisposed) {
                publications.content.update();
              }
            }
          },
          trans
        );
      }
    });

    app.commands.addCommand(PublishCommandIDs.publishSelection, {
      label: trans.__('Publish…'),
      caption: trans.__('Publish the selected files and folders'),
      icon: fileUploadIcon,
      execute: () => {
        const browser = browsers?.tracker.currentWidget;
        const files = browser
          ? Array.from(browser.selectedItems()).map(item => item.path)
          : [];
        return app.commands.execute(PublishCommandIDs.publish, { files });
      }
    });

    app.commands.addCommand(PublishCommandIDs.publications, {
      label: trans.__('ESAP: My publications'),
      caption: trans.__('Every publication, finished or not'),
      execute: () => {
        if (!publications || publications.isDisposed) {
          const content = new PublicationsWidget(trans, {
            onNewVersion: item => {
              void app.commands.execute(PublishCommandIDs.publish, {
                files: item.files.filter(
                  name =>
                    name !== 'environment.lock.txt' &&
                    name !== 'ro-crate-metadata.json'
                ),
                versionOf: item.id,
                title: item.title
              });
            },
            onReproduce: item => {
              void app.commands.execute(PublishCommandIDs.reproduce, {
                source: item.id
              });
            },
            onOpenReport: path => {
              void app.commands.execute('docmanager:open', { path });
            },
            onAttachReport: (item, job) => {
              const result = job.result;
              const record = item.record;
              const related = record?.doi ?? record?.url ?? '';
              void app.commands.execute(PublishCommandIDs.publish, {
                files: [result?.report_html, result?.report_json].filter(
                  (path): path is string => typeof path === 'string'
                ),
                title: trans.__('Reproduction report: %1', item.title),
                description: describeReproduction(job),
                related: /^(10\.|https?:\/\/)/.test(related)
                  ? `${related} IsSupplementTo`
                  : ''
              });
            }
          });
          publications = new MainAreaWidget({ content });
          publications.id = 'esap-publications-main';
          publications.title.label = trans.__('My publications');
          publications.title.closable = true;
        }
        if (!publications.isAttached) {
          app.shell.add(publications, 'main');
        }
        app.shell.activateById(publications.id);
      }
    });

    app.commands.addCommand(PublishCommandIDs.reproduce, {
      label: trans.__('ESAP: Reproduce a publication…'),
      caption: trans.__(
        'Re-run a published notebook from its DOI, record URL or publication id, and compare its outputs'
      ),
      execute: async args => {
        let source = typeof args.source === 'string' ? args.source : '';
        if (!source) {
          const asked = await InputDialog.getText({
            title: trans.__('Reproduce a publication'),
            label: trans.__('DOI, record URL or publication id'),
            placeholder: '10.5281/zenodo.123'
          });
          if (!asked.button.accept || !asked.value?.trim()) {
            return;
          }
          source = asked.value.trim();
        }
        let job;
        try {
          job = await ReproduceAPI.start(source);
        } catch (reason) {
          Notification.error(describe(reason), { autoClose: false });
          return;
        }
        const note = Notification.emit(
          trans.__('Reproducing %1: %2', source, describeReproduction(job)),
          'in-progress',
          { autoClose: false }
        );
        // the reproduction goes on in the server: this only follows it
        const ended = await ReproduceAPI.follow(job, current =>
          Notification.update({
            id: note,
            message: trans.__(
              'Reproducing %1: %2',
              source,
              describeReproduction(current)
            )
          })
        ).catch(() => null);
        if (!ended) {
          return;
        }
        const report = ended.result?.report_html;
        const verdict = ended.result?.verdict;
        Notification.update({
          id: note,
          message: trans.__('%1: %2', source, describeReproduction(ended)),
          type:
            verdict === 'reproduced'
              ? 'success'
              : verdict === 'differs'
                ? 'warning'
                : 'error',
          autoClose: false,
          actions: report
            ? [
                {
                  label: trans.__('Open report'),
                  callback: () =>
                    void app.commands.execute('docmanager:open', {
                      path: report
                    })
                }
              ]
            : []
        });
        if (publications && !publications.isDisposed) {
          publications.content.update();
        }
      }
    });

    app.contextMenu.addItem({
      command: PublishCommandIDs.publishSelection,
      selector: '.jp-DirListing-item[data-isdir]',
      rank: 60
    });

    if (notebooks) {
      notebooks.widgetAdded.connect((_, panel) => {
        const button = new ToolbarButton({
          className: 'esap-Publish-button',
          icon: fileUploadIcon,
          label: trans.__('Publish'),
          tooltip: trans.__(
            'Publish this notebook (and more files) with a DOI'
          ),
          onClick: () => {
            void app.commands.execute(PublishCommandIDs.publish, {
              files: [panel.context.path]
            });
          }
        });
        panel.toolbar.addItem('esap-publish', button);
      });
    }

    if (palette) {
      const category = trans.__('ESAP');
      palette.addItem({ command: PublishCommandIDs.publish, category });
      palette.addItem({ command: PublishCommandIDs.publications, category });
      palette.addItem({ command: PublishCommandIDs.reproduce, category });
    }
  }
};
