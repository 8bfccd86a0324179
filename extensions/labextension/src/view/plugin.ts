import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import {
  ABCWidgetFactory,
  DocumentModel,
  DocumentRegistry,
  DocumentWidget
} from '@jupyterlab/docregistry';
import { Contents } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { imageIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { openCutoutDialog } from '../data/cutout';
import { DataResultsWidget, ServiceResultView } from '../data/results';
import { JobFollower, JobsAPI } from '../jobs';
import { EsapAPIError } from '../request';
import { IProductInput, IRegion, IViewJob, ViewAPI } from './api';
import { IViewOrigin, ViewerContent, ViewerWidget } from './widget';

/** The command ids of the viewer. */
export namespace ViewCommandIDs {
  /**
   * Open the viewer: `{path}` (a file in the home), or a remote product
   * `{access_url, format?, size?, checksum?, title?, service?}`, with
   * `result_id` (rows to draw over it) and `item` (what a cutout is asked of).
   */
  export const open = 'esap:view-open';
  /** View the current row of the current Data results tab. */
  export const viewRow = 'esap:view-row';
}

/** The file type of FITS images and cubes in the file browser. */
const FILE_TYPE = 'fits';
/** The document model that never reads the file's content into the browser. */
const MODEL = 'esap-fits-reference';
const FACTORY = 'ESAP FITS viewer';

/**
 * A document model factory whose model holds no content: opening a FITS
 * file asks the server for its metadata only (`fileFormat` null), so a 2 GB
 * cube is never downloaded into the page; the viewer reads tiles instead.
 */
class ReferenceModelFactory implements DocumentRegistry.IModelFactory<DocumentRegistry.IModel> {
  readonly name = MODEL;
  readonly contentType: Contents.ContentType = 'file';
  readonly fileFormat: Contents.FileFormat = null;
  readonly collaborative = false;

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    this._disposed = true;
  }

  preferredLanguage(): string {
    return '';
  }

  createNew(
    options?: ConstructorParameters<typeof DocumentModel>[0]
  ): DocumentRegistry.IModel {
    return new DocumentModel(options);
  }

  private _disposed = false;
}

/** The viewer as the document widget of a FITS file opened from the file browser. */
class ViewerFactory extends ABCWidgetFactory<
  DocumentWidget<ViewerContent>,
  DocumentRegistry.IModel
> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<
      DocumentWidget<ViewerContent>
    >,
    private _make: () => ViewerContent
  ) {
    super(options);
  }

  protected createNewWidget(
    context: DocumentRegistry.IContext<DocumentRegistry.IModel>
  ): DocumentWidget<ViewerContent> {
    const content = this._make();
    const widget = new DocumentWidget({ content, context });
    widget.addClass('esap-ViewerWidget');
    widget.title.icon = imageIcon;
    void context.ready.then(() => content.open({ path: context.localPath }));
    return widget;
  }
}

/** A result row's fields by column name, and the product they describe. */
function productOfRow(
  columns: { name: string; role?: string | null }[],
  row: unknown[]
): { item: Record<string, unknown>; product: IProductInput | null } {
  const item: Record<string, unknown> = {};
  const product: Partial<IProductInput> = {};
  columns.forEach((column, index) => {
    const value = row[index] ?? null;
    item[column.name] = value;
    if (value === null || value === '') {
      return;
    }
    if (column.role === 'access_url' || column.name === 'access_url') {
      product.access_url ??= String(value);
    } else if (column.role === 'format' || column.name === 'access_format') {
      product.format ??= String(value);
    } else if (column.name === 'access_estsize') {
      const kb = Number(value);
      if (Number.isFinite(kb) && kb >= 0) {
        product.size = Math.round(kb * 1024);
      }
    } else if (['obs_id', 'obs_title', 'title'].includes(column.name)) {
      product.title ??= String(value);
    }
  });
  return {
    item,
    product: product.access_url ? (product as IProductInput) : null
  };
}

/**
 * The image and cube viewer: FITS files open in it from the file browser
 * (double-click, Open With), result rows from the Data panel ("View"),
 * data items from the basket. A remote product is fetched first into the
 * viewer's cache on the server, as a `view` job whose progress shows.
 */
export const viewPlugin: JupyterFrontEndPlugin<void> = {
  id: 'esap-hub:view',
  description:
    'Look at FITS images and cubes: tiles rendered by the server, WCS from astropy.',
  autoStart: true,
  optional: [ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('esap-hub');
    const settings = app.serviceManager.serverSettings;
    const api = new ViewAPI(settings);
    const jobs = new JobsAPI(settings);

    // "Cut out…": the selection, as the server's region of the sky, presets the
    // cutout dialog of the product the viewer shows (data/cutout.tsx)
    const cutout = (region: IRegion, item: Record<string, unknown>) =>
      openCutoutDialog(app, item, {
        ra: region.ra,
        dec: region.dec,
        radius: region.radius,
        width: region.width,
        height: region.height,
        band: region.band
      });

    // every result open in the lab with positions may be drawn over an image
    const results = () => {
      const found: { resultId: string; label: string }[] = [];
      for (const widget of app.shell.widgets('main')) {
        if (!(widget instanceof DataResultsWidget)) {
          continue;
        }
        for (const view of widget.content.tabs.widgets) {
          if (
            view instanceof ServiceResultView &&
            view.model.columns.some(c => c.role === 'ra')
          ) {
            found.push({
              resultId: view.model.resultId,
              label: `${widget.title.label}: ${view.title.label}`
            });
          }
        }
      }
      return found;
    };

    // a file of the home has no archive to cut it: no "Cut out…" there
    const content = (origin: IViewOrigin = {}) =>
      new ViewerContent({
        api,
        trans,
        origin,
        results,
        onCutout: origin.item ? cutout : undefined
      });

    app.docRegistry.addFileType({
      name: FILE_TYPE,
      displayName: trans.__('FITS image'),
      extensions: ['.fits', '.fit', '.fts'],
      mimeTypes: ['image/fits', 'application/fits'],
      fileFormat: null,
      contentType: 'file',
      icon: imageIcon
    });
    app.docRegistry.addModelFactory(new ReferenceModelFactory());
    app.docRegistry.addWidgetFactory(
      new ViewerFactory(
        {
          name: FACTORY,
          label: trans.__('FITS viewer'),
          modelName: MODEL,
          fileTypes: [FILE_TYPE],
          defaultFor: [FILE_TYPE],
          readOnly: true
        },
        () => content()
      )
    );

    /** Show a viewer in the main area. */
    const show = (viewer: ViewerContent, label: string): ViewerWidget => {
      const widget = new ViewerWidget(viewer, label, trans);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    };

    /** Fetch a remote product (following its job) and show it. */
    const openProduct = async (
      product: IProductInput,
      origin: IViewOrigin
    ): Promise<ViewerWidget> => {
      const viewer = content(origin);
      const label = product.title || product.access_url.split('/').pop() || '';
      const widget = show(viewer, label);
      viewer.showFetch(
        trans.__('Fetching %1…', label),
        0,
        product.size ?? null
      );
      let job: IViewJob;
      try {
        job = await api.fetchProduct(product);
        const follower = new JobFollower(job, { api: jobs, interval: 300 });
        follower.changed.connect((_, current) =>
          viewer.showFetch(
            trans.__('Fetching %1…', label),
            current.progress.done,
            current.progress.total
          )
        );
        job = (await follower.done) as IViewJob;
        follower.dispose();
      } catch (reason) {
        viewer.showError(EsapAPIError.from(reason));
        return widget;
      }
      if (job.state !== 'done' || !job.result?.product) {
        viewer.showError(
          new EsapAPIError({
            code: job.error?.code ?? job.state,
            message:
              job.error?.message ??
              trans.__('The fetch of %1 ended: %2', label, job.state),
            fix: job.error?.fix ?? trans.__('Open it again.')
          })
        );
        return widget;
      }
      await viewer.open({ product: job.result.product });
      return widget;
    };

    app.commands.addCommand(ViewCommandIDs.open, {
      label: trans.__('View image'),
      caption: trans.__('Open a FITS image or cube in the ESAP viewer'),
      icon: imageIcon,
      execute: async (args: ReadonlyPartialJSONObject) => {
        const origin: IViewOrigin = {
          resultId: typeof args.result_id === 'string' ? args.result_id : null,
          item: (args.item as Record<string, unknown> | undefined) ?? null
        };
        if (typeof args.path === 'string') {
          const viewer = content(origin);
          const widget = show(viewer, args.path.split('/').pop() ?? args.path);
          await viewer.open({ path: args.path });
          return widget.id;
        }
        if (typeof args.access_url !== 'string') {
          throw new Error('esap:view-open needs a path or an access_url');
        }
        const text = (name: string) =>
          typeof args[name] === 'string' ? (args[name] as string) : null;
        const size = typeof args.size === 'number' ? args.size : null;
        const widget = await openProduct(
          {
            access_url: args.access_url,
            format: text('format'),
            size,
            checksum: text('checksum'),
            title: text('title'),
            service: text('service')
          },
          origin
        );
        return widget.id;
      }
    });

    app.commands.addCommand(ViewCommandIDs.viewRow, {
      label: trans.__('View'),
      caption: trans.__(
        "Look at the current row's image or cube in the ESAP viewer"
      ),
      icon: imageIcon,
      isVisible: () => {
        const view = currentView(app);
        return (
          view === null ||
          view.model.columns.some(
            c => c.role === 'access_url' || c.name === 'access_url'
          )
        );
      },
      execute: async () => {
        const view = currentView(app);
        if (view === null) {
          return null;
        }
        const cursor = view.grid.selectionModel?.cursorRow ?? -1;
        const chosen = cursor >= 0 ? [cursor] : view.grid.selectedRows();
        const [row] = chosen.length ? await view.model.rows(chosen) : [];
        const found = row ? productOfRow(view.model.columns, row) : null;
        if (!found?.product) {
          Notification.warning(
            trans.__('Select a row with a file (an access URL) to view it.'),
            { autoClose: 5000 }
          );
          return null;
        }
        const service = view.node.dataset.esapService ?? null;
        const widget = await openProduct(
          { ...found.product, service },
          { resultId: view.model.resultId, item: { service, ...found.item } }
        );
        return widget.id;
      }
    });

    if (palette) {
      palette.addItem({
        command: ViewCommandIDs.viewRow,
        category: trans.__('ESAP')
      });
    }
  }
};

/** The current results tab of the Data panel, if it is one. */
function currentView(app: JupyterFrontEnd): ServiceResultView | null {
  const widget = app.shell.currentWidget;
  if (!(widget instanceof DataResultsWidget)) {
    return null;
  }
  const view = widget.content.tabs.currentWidget;
  return view instanceof ServiceResultView ? view : null;
}
