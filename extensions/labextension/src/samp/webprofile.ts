/**
 * A small client of the SAMP Web Profile (IVOA SAMP 1.3, section 5): the
 * browser talks XML-RPC over HTTP to the SAMP hub that TOPCAT, Aladin or
 * DS9 run on the user's own computer (http://localhost:21012/, with CORS).
 *
 * Written here because no maintained npm package does it: sampjs (the
 * reference JavaScript client by Mark Taylor) is not published to npm, and
 * the XML-RPC packages on npm target Node's http module, not `fetch`. SAMP
 * values are only strings, lists and maps, so the codec below handles just
 * those (and reads the other scalar types a hub may answer).
 */

/** A SAMP value: a string, a list or a map of SAMP values. */
export type SampValue = string | SampValue[] | { [key: string]: SampValue };
export type SampMap = { [key: string]: SampValue };

/** The port the Web Profile fixes for every hub. */
export const DEFAULT_HUB_URL = 'http://localhost:21012/';

/** What went wrong talking to the hub, in words the user can act on. */
export class SampError extends Error {
  constructor(
    message: string,
    readonly code: 'no_hub' | 'refused' | 'fault' | 'no_receiver' | 'bad_answer'
  ) {
    super(message);
    this.name = 'SampError';
  }
}

export const NO_HUB =
  'no SAMP hub found on this computer — start TOPCAT or Aladin (they run one; in TOPCAT, check that its Web Profile is on: File ▸ SAMP ▸ Web Profile)';
export const REFUSED = 'the hub refused registration (you declined the prompt)';

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** One value as XML-RPC. */
export function encodeValue(value: SampValue): string {
  if (typeof value === 'string') {
    return `<value><string>${escapeXml(value)}</string></value>`;
  }
  if (Array.isArray(value)) {
    return `<value><array><data>${value.map(encodeValue).join('')}</data></array></value>`;
  }
  const members = Object.entries(value)
    .map(
      ([name, member]) =>
        `<member><name>${escapeXml(name)}</name>${encodeValue(member)}</member>`
    )
    .join('');
  return `<value><struct>${members}</struct></value>`;
}

/** An XML-RPC call document. */
export function encodeCall(method: string, params: SampValue[]): string {
  const encoded = params
    .map(param => `<param>${encodeValue(param)}</param>`)
    .join('');
  return `<?xml version="1.0"?><methodCall><methodName>${escapeXml(method)}</methodName><params>${encoded}</params></methodCall>`;
}

function children(node: Element, name?: string): Element[] {
  return Array.from(node.children).filter(
    child => name === undefined || child.tagName === name
  );
}

/** One XML-RPC `<value>` element as a SAMP value (numbers and booleans as strings). */
export function decodeValue(node: Element): SampValue {
  const [typed] = children(node);
  if (!typed) {
    return node.textContent ?? '';
  }
  switch (typed.tagName) {
    case 'array': {
      const data = children(typed, 'data')[0];
      return data ? children(data, 'value').map(decodeValue) : [];
    }
    case 'struct': {
      const map: SampMap = {};
      for (const member of children(typed, 'member')) {
        const name = children(member, 'name')[0]?.textContent ?? '';
        const value = children(member, 'value')[0];
        map[name] = value ? decodeValue(value) : '';
      }
      return map;
    }
    case 'nil':
      return '';
    default:
      return typed.textContent ?? '';
  }
}

/** The value of an XML-RPC response, or a SampError carrying the fault. */
export function decodeResponse(text: string): SampValue {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const root = doc.documentElement;
  if (root.tagName !== 'methodResponse') {
    throw new SampError(
      'the SAMP hub answered something that is not XML-RPC',
      'bad_answer'
    );
  }
  const fault = children(root, 'fault')[0];
  if (fault) {
    const value = children(fault, 'value')[0];
    const decoded = value ? decodeValue(value) : '';
    const message =
      typeof decoded === 'object' && !Array.isArray(decoded)
        ? String(decoded.faultString ?? 'fault')
        : String(decoded);
    throw new SampError(message, 'fault');
  }
  const value = root.querySelector('params > param > value');
  return value ? decodeValue(value) : '';
}

/** A callback the hub queued for this client (`pullCallbacks`). */
export interface ISampCallback {
  'samp.methodName': string;
  'samp.params': SampValue[];
}

/**
 * One registration with the hub through the Web Profile: register (the hub
 * asks the user to accept), then declare, send and pull callbacks.
 */
export class SampWebClient {
  private constructor(
    private readonly _hubUrl: string,
    private readonly _key: string,
    /** The hub's URL translator: prefix a tool's URL to fetch it with CORS. */
    readonly translator: string,
    /** Our client id on the hub. */
    readonly selfId: string
  ) {}

  /** Register as `name`; throws `SampError` with NO_HUB or REFUSED. */
  static async register(hubUrl: string, name: string): Promise<SampWebClient> {
    let answer: SampValue;
    try {
      answer = await call(hubUrl, 'samp.webhub.register', [
        { 'samp.name': name }
      ]);
    } catch (reason) {
      if (reason instanceof SampError && reason.code === 'fault') {
        throw new SampError(REFUSED, 'refused');
      }
      throw reason;
    }
    if (typeof answer !== 'object' || Array.isArray(answer)) {
      throw new SampError(
        'the SAMP hub answered the registration without a private key',
        'bad_answer'
      );
    }
    return new SampWebClient(
      hubUrl,
      String(answer['samp.private-key'] ?? ''),
      String(answer['samp.url-translator'] ?? ''),
      String(answer['samp.self-id'] ?? '')
    );
  }

  /** Call a `samp.webhub.*` method with our private key first. */
  call(method: string, params: SampValue[] = []): Promise<SampValue> {
    return call(this._hubUrl, `samp.webhub.${method}`, [this._key, ...params]);
  }

  /** The callbacks queued for us (waiting up to `timeout` seconds where the hub can). */
  async pull(timeout: number): Promise<ISampCallback[]> {
    const answer = await this.call('pullCallbacks', [String(timeout)]);
    return Array.isArray(answer) ? (answer as unknown as ISampCallback[]) : [];
  }

  /** Leave the hub; `keepalive` so it still goes out while the page unloads. */
  unregister(): Promise<SampValue> {
    return call(
      this._hubUrl,
      'samp.webhub.unregister',
      [this._key],
      true
    ).catch(() => '');
  }
}

async function call(
  hubUrl: string,
  method: string,
  params: SampValue[],
  keepalive = false
): Promise<SampValue> {
  let response: Response;
  try {
    response = await fetch(hubUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml' },
      body: encodeCall(method, params),
      keepalive
    });
  } catch {
    throw new SampError(NO_HUB, 'no_hub');
  }
  if (!response.ok) {
    throw new SampError(
      `the SAMP hub answered ${response.status} to ${method}`,
      response.status === 404 ? 'no_hub' : 'bad_answer'
    );
  }
  return decodeResponse(await response.text());
}
