import { ItemInput } from './api';

/** A column of a data result, as the data contract describes it. */
export interface IResultColumn {
  name: string;
  role?: string | null;
}

const OBSCORE: Record<string, string> = {
  access_url: 'access_url',
  access_format: 'format',
  access_estsize: 'size',
  // md5:<hex>, from data lakes such as Rucio: the download is checked against it
  checksum: 'checksum'
};

/**
 * What the basket accepts in the fields it checks (see esap.basket.models and
 * esap.core.urls.is_data_url): an access URL is `scheme://...` of a scheme
 * that fetches (an archive's ftp:// link is kept; whether it is downloaded is
 * the hub's fetch rule), never one a browser runs.
 */
const ACCEPTED: Record<string, RegExp> = {
  access_url:
    // control characters are refused on purpose, as esap.core.urls does
    // eslint-disable-next-line no-control-regex
    /^(?!(?:javascript|vbscript|data|blob|about):)[a-z][a-z0-9+.-]*:\/\/[^\s\x00-\x1f\x7f]+$/i,
  checksum: /^(md5|sha1|sha256|sha512):[0-9a-f]+$/i
};

/**
 * Basket items from rows of a data result: the `access_url` / `format`
 * roles and ObsCore names fill the item's fields, the row becomes `fields`.
 */
export function itemsFromRows(
  service: string,
  columns: IResultColumn[],
  rows: unknown[][],
  query: unknown
): ItemInput[] {
  return rows.map(row => {
    const fields: Record<string, unknown> = {};
    const item: ItemInput = { kind: 'data', service, fields };
    columns.forEach((column, index) => {
      const value = row[index] ?? null;
      fields[column.name] = value;
      if (value === null || value === '') {
        return;
      }
      const target =
        column.role === 'access_url'
          ? 'access_url'
          : column.role === 'format'
            ? 'format'
            : OBSCORE[column.name];
      if (target === 'size') {
        const kb = Number(value);
        if (Number.isFinite(kb) && kb >= 0) {
          item.size = Math.round(kb * 1000);
        }
      } else if (target && item[target] === undefined) {
        const text = String(value);
        // a row whose link the basket would refuse is added without it (the
        // value stays in `fields`), rather than refusing the whole selection
        if (!ACCEPTED[target] || ACCEPTED[target].test(text)) {
          item[target] = text;
        }
      }
      if (
        ['obs_id', 'obs_publisher_did', 'target_name'].includes(column.name) &&
        item.title === undefined
      ) {
        item.title = String(value);
      }
    });
    if (query !== null && query !== undefined) {
      item.query = query;
    }
    return item;
  });
}
