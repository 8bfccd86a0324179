import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { Access } from './api';

/** How long a share may last, as the dialog offers it (seconds). */
const DURATIONS: [number, string][] = [
  [3600, '1 hour'],
  [8 * 3600, '8 hours'],
  [86400, '1 day'],
  [7 * 86400, '1 week'],
  [30 * 86400, '30 days']
];

/** What the Share dialog asks. */
export interface IShareRequest {
  /** `link`: a link anyone signed in may accept, instead of a named user or group. */
  mode: 'share' | 'link';
  kind: 'user' | 'group';
  name: string;
  access: Access;
  expiresIn: number;
}

function labelled(
  label: string,
  control: HTMLInputElement | HTMLSelectElement,
  id: string
): HTMLElement {
  const row = document.createElement('div');
  row.className = 'esap-ShareDialog-row';
  const text = document.createElement('label');
  text.htmlFor = id;
  text.textContent = label;
  control.id = id;
  row.append(text, control);
  return row;
}

function select(options: [string, string][]): HTMLSelectElement {
  const node = document.createElement('select');
  node.className = 'jp-mod-styled';
  for (const [value, text] of options) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = text;
    node.appendChild(option);
  }
  return node;
}

/**
 * The form of the Share dialog: with whom (a user or a group, by name), how
 * (read-only or full) and for how long (never past the hub's longest share).
 */
class ShareForm extends Widget implements Dialog.IBodyWidget<IShareRequest> {
  constructor(trans: TranslationBundle, maxSeconds: number) {
    super();
    this.addClass('esap-ShareDialog');
    this._kind = select([
      ['user', trans.__('a user')],
      ['group', trans.__('a group')]
    ]);
    this._name = document.createElement('input');
    this._name.className = 'jp-mod-styled';
    this._name.placeholder = trans.__('their name on this hub');
    this._name.autocomplete = 'off';
    this._access = select([
      ['read', trans.__('read-only: look at files and notebooks')],
      ['full', trans.__('full: edit, save and run code as you')]
    ]);
    const offered = DURATIONS.filter(([seconds]) => seconds <= maxSeconds);
    if (offered.length === 0 || offered[offered.length - 1][0] < maxSeconds) {
      offered.push([
        maxSeconds,
        trans.__('%1 hours (the longest)', Math.round(maxSeconds / 360) / 10)
      ]);
    }
    this._for = select(
      offered.map(([seconds, text]) => [String(seconds), trans.__(text)])
    );
    const note = document.createElement('p');
    note.className = 'esap-ShareDialog-note';
    note.textContent = trans.__(
      'Full access runs code as you, with your files and tokens. The share ends by itself at its time; revoke it earlier in the Shared view. "Make a link" gives a link anyone signed in may accept instead.'
    );
    this.node.append(
      labelled(trans.__('Who'), this._kind, 'esap-share-kind'),
      labelled(trans.__('Name'), this._name, 'esap-share-name'),
      labelled(trans.__('Access'), this._access, 'esap-share-access'),
      labelled(trans.__('For'), this._for, 'esap-share-for'),
      note
    );
  }

  getValue(): IShareRequest {
    return {
      mode: 'share',
      kind: this._kind.value === 'group' ? 'group' : 'user',
      name: this._name.value.trim(),
      access: this._access.value === 'full' ? 'full' : 'read',
      expiresIn: Number(this._for.value)
    };
  }

  protected onAfterAttach(): void {
    this._name.focus();
  }

  private _kind: HTMLSelectElement;
  private _name: HTMLInputElement;
  private _access: HTMLSelectElement;
  private _for: HTMLSelectElement;
}

/**
 * Ask with whom, how and for how long to share this lab; `null` when cancelled.
 */
export async function askShare(
  trans: TranslationBundle,
  maxSeconds: number
): Promise<IShareRequest | null> {
  const linkLabel = trans.__('Make a link');
  const result = await showDialog<IShareRequest>({
    title: trans.__('Share this lab'),
    body: new ShareForm(trans, maxSeconds),
    buttons: [
      Dialog.cancelButton(),
      Dialog.createButton({ label: linkLabel, accept: true }),
      Dialog.okButton({ label: trans.__('Share') })
    ],
    focusNodeSelector: '#esap-share-name'
  });
  const value = result.value;
  if (!value) {
    return null;
  }
  if (result.button.label === linkLabel) {
    return { ...value, mode: 'link', expiresIn: Math.max(60, value.expiresIn) };
  }
  return result.button.accept ? value : null;
}
