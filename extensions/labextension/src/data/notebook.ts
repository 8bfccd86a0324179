import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';

import { ISearchRequest } from './api';

/**
 * A JSON value written as a Python literal (`null` → `None`, booleans
 * capitalised; JSON string escapes are valid in Python string literals).
 */
export function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : 'None';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(pythonLiteral).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>).map(
      ([key, item]) => `${JSON.stringify(key)}: ${pythonLiteral(item)}`
    );
    return `{${items.join(', ')}}`;
  }
  return 'None';
}

/** The keyword arguments of `esap.data.search`, in the order a person writes them. */
const ARGUMENTS: (keyof ISearchRequest)[] = [
  'target',
  'ra',
  'dec',
  'radius',
  'band',
  'time',
  'collection',
  'text',
  'maxrec',
  'services',
  'params'
];

/**
 * The notebook code that re-runs a search with the notebook API.
 */
export function searchCode(request: Partial<ISearchRequest>): string {
  const hasPosition =
    Boolean(request.target) ||
    (request.ra !== null && request.ra !== undefined);
  const args: string[] = [];
  for (const key of ARGUMENTS) {
    const value = request[key];
    if (value === null || value === undefined || value === '') {
      continue;
    }
    if (key === 'radius' && !hasPosition) {
      continue;
    }
    if (key === 'params' && Object.keys(value as object).length === 0) {
      continue;
    }
    args.push(`${key}=${pythonLiteral(value)}`);
  }
  if (request.all_vo) {
    // the whole VO: the registry's services of these types, not named ones
    const { types, keywords, waveband } = request.all_vo;
    args.push(`types=${pythonLiteral(types)}`);
    if (keywords) {
      args.push(`keywords=${pythonLiteral(keywords)}`);
    }
    if (waveband) {
      args.push(`waveband=${pythonLiteral(waveband)}`);
    }
    return [
      'import esap',
      '',
      `result = esap.data.search_all_vo(${args.join(', ')})`,
      'result.summary  # the services ranked by rows; result.combined: every product once'
    ].join('\n');
  }
  return [
    'import esap',
    '',
    `result = esap.data.search(${args.join(', ')})`,
    'result.combined'
  ].join('\n');
}

/**
 * Put `code` in a new code cell: below the active cell of the current
 * notebook, or in a new notebook when none is open. The cell is not run.
 */
export async function insertCode(
  app: JupyterFrontEnd,
  tracker: INotebookTracker | null,
  code: string
): Promise<NotebookPanel> {
  let panel: NotebookPanel | null = tracker?.currentWidget ?? null;
  if (panel === null || panel.isDisposed) {
    // the default kernel, so no kernel picker stands between the user and the cell
    await app.serviceManager.kernelspecs.ready;
    const kernelName = app.serviceManager.kernelspecs.specs?.default;
    panel = (await app.commands.execute('notebook:create-new', {
      ...(kernelName ? { kernelName } : {})
    })) as NotebookPanel;
    await panel.context.ready;
    const notebook = panel.content;
    const first = notebook.widgets[0];
    if (
      first &&
      first.model.type === 'code' &&
      first.model.sharedModel.getSource() === ''
    ) {
      first.model.sharedModel.setSource(code);
      app.shell.activateById(panel.id);
      return panel;
    }
  } else {
    await panel.context.ready;
  }
  const notebook = panel.content;
  if (notebook.widgets.length === 0) {
    notebook.model?.sharedModel.insertCell(0, {
      cell_type: 'code',
      source: code
    });
    notebook.activeCellIndex = 0;
  } else {
    NotebookActions.insertBelow(notebook);
    if (notebook.activeCell?.model.type !== 'code') {
      NotebookActions.changeCellType(notebook, 'code');
    }
    notebook.activeCell?.model.sharedModel.setSource(code);
  }
  app.shell.activateById(panel.id);
  return panel;
}
