import {
  BasicKeyHandler,
  BasicSelectionModel,
  DataGrid,
  DataModel,
  TextRenderer
} from '@lumino/datagrid';

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/**
 * The grid's colours and fonts, read from the current JupyterLab theme.
 */
function gridTheme(): {
  style: DataGrid.Style;
  text: TextRenderer;
  header: TextRenderer;
} {
  // read once: the grid asks for row colours on every paint
  const even = cssVar('--jp-layout-color0', '#fff');
  const odd = cssVar('--jp-layout-color1', '#fafafa');
  const style: DataGrid.Style = {
    ...DataGrid.defaultStyle,
    voidColor: cssVar('--jp-layout-color0', '#fff'),
    backgroundColor: cssVar('--jp-layout-color0', '#fff'),
    headerBackgroundColor: cssVar('--jp-layout-color2', '#eee'),
    gridLineColor: cssVar('--jp-border-color3', 'rgba(20, 20, 20, 0.15)'),
    headerGridLineColor: cssVar('--jp-border-color2', 'rgba(20, 20, 20, 0.25)'),
    rowBackgroundColor: i => (i % 2 === 0 ? even : odd),
    selectionFillColor: 'rgba(33, 150, 243, 0.18)',
    selectionBorderColor: cssVar('--jp-brand-color1', '#1976d2'),
    cursorBorderColor: cssVar('--jp-brand-color1', '#1976d2'),
    headerSelectionFillColor: 'rgba(33, 150, 243, 0.12)'
  };
  const font = `${cssVar('--jp-ui-font-size1', '13px')} ${cssVar('--jp-ui-font-family', 'sans-serif')}`;
  const color = cssVar('--jp-ui-font-color1', '#000');
  const text = new TextRenderer({
    font,
    textColor: color,
    // a value wider than its column ends in "…"; the record pane shows it whole
    elideDirection: 'right',
    // Numbers right-aligned, text left; values are drawn on the canvas as
    // text, so no markup from an archive is ever interpreted.
    horizontalAlignment: ({ metadata }) =>
      ['double', 'float', 'int', 'long', 'short'].includes(
        String(metadata.type)
      )
        ? 'right'
        : 'left',
    format: ({ value }) =>
      value === null || value === undefined ? '' : String(value)
  });
  const header = new TextRenderer({
    font: `600 ${font}`,
    textColor: color,
    format: ({ value }) => String(value ?? '')
  });
  return { style, text, header };
}

/**
 * A Lumino DataGrid in the lab's theme: virtualised (only the visible cells
 * are painted, as text on a canvas, so no markup from an archive is ever
 * interpreted), with whole rows selectable. The result grids and the basket
 * grid are both one.
 */
export class ThemedGrid extends DataGrid {
  /**
   * Repaint every open grid in the current theme's colours (the canvas
   * cannot follow CSS variables by itself).
   */
  static refreshThemes(): void {
    const theme = gridTheme();
    for (const grid of ThemedGrid._live) {
      grid.style = theme.style;
      grid._useRenderers(theme);
    }
  }

  private static _live = new Set<ThemedGrid>();

  constructor(model: DataModel, options: ThemedGrid.IOptions) {
    const theme = gridTheme();
    super({
      style: theme.style,
      defaultSizes: options.defaultSizes,
      minimumSizes: options.minimumSizes
    });
    this.dataModel = model;
    this.selectionModel = new BasicSelectionModel({
      dataModel: model,
      selectionMode: 'row'
    });
    this.keyHandler = new BasicKeyHandler();
    this._useRenderers(theme);
    ThemedGrid._live.add(this);
  }

  dispose(): void {
    ThemedGrid._live.delete(this);
    super.dispose();
  }

  /**
   * The body rows the user selected, in ascending order (at most 100,000).
   */
  selectedRows(): number[] {
    const rows = new Set<number>();
    const selection = this.selectionModel;
    if (!selection) {
      return [];
    }
    for (const range of selection.selections()) {
      const first = Math.max(0, Math.min(range.r1, range.r2));
      const last = Math.max(range.r1, range.r2);
      for (let r = first; r <= last && rows.size < 100_000; r++) {
        rows.add(r);
      }
    }
    return [...rows].sort((a, b) => a - b);
  }

  private _useRenderers(theme: ReturnType<typeof gridTheme>): void {
    this.cellRenderers.update({
      body: theme.text,
      'column-header': theme.header,
      'row-header': theme.text,
      'corner-header': theme.header
    });
  }
}

export namespace ThemedGrid {
  export interface IOptions {
    defaultSizes: DataGrid.DefaultSizes;
    minimumSizes?: DataGrid.MinimumSizes;
  }
}
