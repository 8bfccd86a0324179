import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { API_NAMESPACE, requestAPI } from '../request';
import {
  DEFAULT_HUB_URL,
  ISampCallback,
  SampError,
  SampMap,
  SampValue,
  SampWebClient
} from './webprofile';

/** The table to send: a stored search result (all or some rows) or basket items. */
export type TableSource =
  | {
      result_id: string;
      rows?: number[];
      query?: { sort: string | null; order: string; filter: string | null };
    }
  | { basket_ids: string[] };

interface ILink {
  id: string;
  path: string;
  name: string;
  table_id: string;
  expires: number;
}

/** What the server kept of a table a desktop tool sent. */
export interface IReceived {
  id: string;
  name: string;
  rows: number;
  columns: string[];
  total: number;
}

const LOAD_TABLE = 'table.load.votable';
/** Seconds between pulls when the hub answers at once (astropy's hub does not wait). */
const IDLE = 1;

/**
 * The lab's registration with the user's SAMP hub: sends tables to the
 * desktop tools and receives the tables they send (into the basket).
 *
 * Registration happens on first use (the hub asks the user to accept, so
 * never unprompted at page load) and lasts while the page is open.
 */
export class SampConnection {
  constructor(
    private readonly _settings: ServerConnection.ISettings,
    private readonly _hubUrl: () => Promise<string>
  ) {
    window.addEventListener('beforeunload', () => void this.disconnect());
  }

  /** A table a desktop tool sent was added to the basket (or failed to be). */
  get received(): ISignal<this, IReceived | Error> {
    return this._received;
  }

  /** Whether the connection changed (connected or not). */
  get changed(): ISignal<this, boolean> {
    return this._changed;
  }

  get connected(): boolean {
    return this._client !== null;
  }

  /** Register with the hub if not yet, subscribed to table.load.votable. */
  async connect(): Promise<SampWebClient> {
    if (this._client) {
      return this._client;
    }
    if (!this._connecting) {
      this._connecting = this._register().finally(() => {
        this._connecting = null;
      });
    }
    return this._connecting;
  }

  /** Leave the hub (also when the page closes). */
  async disconnect(): Promise<void> {
    const client = this._client;
    this._client = null;
    if (client) {
      this._changed.emit(false);
      await client.unregister();
    }
  }

  /**
   * Send a table to every desktop tool that loads tables; returns how many
   * tools it went to. The tool fetches it through a short-lived link.
   */
  async send(source: TableSource, name: string): Promise<number> {
    const client = await this.connect();
    const link = await requestAPI<ILink>(
      'samp/links',
      { method: 'POST', body: JSON.stringify({ ...source, name }) },
      this._settings
    );
    const url = new URL(
      URLExt.join(this._settings.baseUrl, API_NAMESPACE, link.path),
      window.location.href
    ).href;
    const recipients = await client.call('notifyAll', [
      {
        'samp.mtype': LOAD_TABLE,
        'samp.params': { url, 'table-id': link.table_id, name: link.name }
      }
    ]);
    const count = Array.isArray(recipients) ? recipients.length : 0;
    if (count === 0) {
      throw new SampError(
        'no desktop tool that loads tables is connected to the SAMP hub — start TOPCAT or Aladin',
        'no_receiver'
      );
    }
    return count;
  }

  private async _register(): Promise<SampWebClient> {
    const client = await SampWebClient.register(
      await this._hubUrl(),
      'ESAP Hub'
    );
    await client.call('declareMetadata', [
      {
        'samp.name': 'ESAP Hub',
        'samp.description.text':
          'JupyterLab of an ESAP Hub: sends search results and basket items, keeps tables it receives in the basket',
        'esap.version': '1'
      }
    ]);
    await client.call('declareSubscriptions', [{ [LOAD_TABLE]: {} }]);
    await client.call('allowReverseCallbacks', ['1']);
    this._client = client;
    this._changed.emit(true);
    void this._pullLoop(client);
    return client;
  }

  private async _pullLoop(client: SampWebClient): Promise<void> {
    while (this._client === client) {
      const started = Date.now();
      let callbacks: ISampCallback[];
      try {
        callbacks = await client.pull(10);
      } catch {
        // the hub went away (the desktop tool closed): forget the registration
        if (this._client === client) {
          this._client = null;
          this._changed.emit(false);
        }
        return;
      }
      for (const callback of callbacks) {
        await this._handle(client, callback);
      }
      if (!callbacks.length && Date.now() - started < IDLE * 1000) {
        await new Promise(resolve => setTimeout(resolve, IDLE * 1000));
      }
    }
  }

  private async _handle(
    client: SampWebClient,
    callback: ISampCallback
  ): Promise<void> {
    const method = callback['samp.methodName'];
    const params = callback['samp.params'];
    let sender: string;
    let msgId: string | null = null;
    let message: SampValue | undefined;
    if (method === 'receiveNotification') {
      [sender, message] = [String(params[0] ?? ''), params[1]];
    } else if (method === 'receiveCall') {
      [sender, msgId, message] = [
        String(params[0] ?? ''),
        String(params[1] ?? ''),
        params[2]
      ];
    } else {
      return; // receiveResponse: we make no calls that expect one
    }
    const map = (message ?? {}) as SampMap;
    let outcome: IReceived | Error;
    try {
      if (map['samp.mtype'] !== LOAD_TABLE) {
        throw new Error(`unsupported message ${String(map['samp.mtype'])}`);
      }
      outcome = await this._receive(
        client,
        sender,
        (map['samp.params'] ?? {}) as SampMap
      );
    } catch (reason) {
      outcome = reason instanceof Error ? reason : new Error(String(reason));
    }
    if (msgId !== null) {
      const response: SampMap =
        outcome instanceof Error
          ? {
              'samp.status': 'samp.error',
              'samp.error': { 'samp.errortxt': outcome.message }
            }
          : { 'samp.status': 'samp.ok', 'samp.result': {} };
      await client.call('reply', [msgId, response]).catch(() => '');
    }
    this._received.emit(outcome);
  }

  /**
   * Fetch the table a tool offered and hand it to the server. The browser
   * fetches (through the hub's URL translator, which adds CORS) rather than
   * the server: the tool's URL is on the user's computer, which a remote hub
   * cannot reach.
   */
  private async _receive(
    client: SampWebClient,
    sender: string,
    params: SampMap
  ): Promise<IReceived> {
    const url = String(params.url ?? '');
    if (!url) {
      throw new Error('the table.load.votable message has no url');
    }
    const name = String(params.name ?? params['table-id'] ?? '') || url;
    let table: Response;
    try {
      // a hub without a translator: the tool's server must allow CORS itself
      table = await fetch(
        client.translator ? client.translator + encodeURIComponent(url) : url
      );
    } catch (reason) {
      throw new Error(
        `could not fetch the table at ${url}: ${String(reason)}`,
        {
          cause: reason
        }
      );
    }
    if (!table.ok) {
      throw new Error(
        `the table at ${url} could not be fetched (${table.status})`
      );
    }
    const senderName = await this._senderName(client, sender);
    const query = new URLSearchParams({ name, sender: senderName });
    return requestAPI<IReceived>(
      `samp/received?${query.toString()}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-votable+xml' },
        body: await table.arrayBuffer()
      },
      this._settings
    );
  }

  private async _senderName(
    client: SampWebClient,
    sender: string
  ): Promise<string> {
    try {
      const meta = await client.call('getMetadata', [sender]);
      if (typeof meta === 'object' && !Array.isArray(meta)) {
        return String(meta['samp.name'] ?? sender);
      }
    } catch {
      // the sender left already: its id is all we have
    }
    return sender;
  }

  private _client: SampWebClient | null = null;
  private _connecting: Promise<SampWebClient> | null = null;
  private _received = new Signal<this, IReceived | Error>(this);
  private _changed = new Signal<this, boolean>(this);
}

/**
 * The hub URL: the `hubUrl` setting of `esap-hub:samp`, or the Web Profile's
 * fixed port. The settings come as the server sends them: parsed user
 * settings in `settings`, else the `raw` text (JSON, comments allowed).
 */
export async function hubUrlFrom(
  fetchSettings: () => Promise<unknown>
): Promise<string> {
  try {
    const plugin = (await fetchSettings()) as {
      settings?: { hubUrl?: unknown };
      raw?: unknown;
    };
    let hubUrl = plugin.settings?.hubUrl;
    if (hubUrl === undefined && typeof plugin.raw === 'string') {
      const text = plugin.raw.replace(/^\s*\/\/.*$/gm, '');
      hubUrl = (JSON.parse(text || '{}') as { hubUrl?: unknown }).hubUrl;
    }
    if (typeof hubUrl === 'string' && hubUrl) {
      return hubUrl;
    }
  } catch {
    // no settings, or unreadable ones: the standard port
  }
  return DEFAULT_HUB_URL;
}
