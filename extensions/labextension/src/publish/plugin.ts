import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  ToolbarButton
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { fileUploadIcon } from '@jupyterlab/ui-components';

import { openPublishDialog } from './dialog';
import { PublicationsWidget } from './publications';

export namespace PublishCommandIDs {
  export const publish = 'esap:publish';
  export const publishSelection = 'esap:publish-selection';
  export const publications = 'esap:publications';
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
        return openPublishDialog(
          {
            files,
            versionOf,
            title,
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
          const content = new PublicationsWidget(trans, item => {
            void app.commands.execute(PublishCommandIDs.publish, {
              files: item.files.filter(
                name =>
                  name !== 'environment.lock.txt' &&
                  name !== 'ro-crate-metadata.json'
              ),
              versionOf: item.id,
              title: item.title
            });
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
    }
  }
};
