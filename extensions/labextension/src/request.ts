import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { NdjsonDecoder, NdjsonLineError } from './ndjson';

/**
 * The namespace of the ESAP REST API on the user's Jupyter server.
 */
export const API_NAMESPACE = 'esap/api/v1';

/**
 * One field the server refused, and what to do about it.
 */
export interface IFieldProblem {
  /** The key path of the field (`title`, `creators[0].orcid`, `radius`). */
  field: string;
  message: string;
  fix?: string;
}

/**
 * The JSON body of every error the ESAP server extension answers:
 * `{"error": {"code", "message", "fix", "field"?, "problems"?}}`. `field`
 * names the one field at fault; `problems` lists several.
 */
interface IErrorBody {
  error: {
    code: string;
    message: string;
    /** Always sent by the ESAP server; tolerated missing from other servers. */
    fix?: string;
    field?: string;
    problems?: IFieldProblem[];
  };
  /** Where publish listed its problems before they moved into `error`. */
  problems?: IFieldProblem[];
}

/**
 * An error from the ESAP REST API, or from reaching it.
 *
 * `code` is machine-readable (for example `config_invalid`), `message` says
 * what went wrong and `fix` what the user or the admin can do about it;
 * `field` and `problems` name the request fields at fault, for a form to
 * show each message under its field.
 */
export class EsapAPIError extends Error {
  constructor(options: EsapAPIError.IOptions) {
    super(options.message);
    this.name = 'EsapAPIError';
    this.code = options.code;
    this.fix = options.fix;
    this.status = options.status ?? null;
    this.field = options.field ?? null;
    this.problems = options.problems ?? [];
  }

  /**
   * Any failure as an `EsapAPIError`: itself when it is one, otherwise an
   * `unexpected_error` with its text and the given fix.
   */
  static from(reason: unknown, fix = 'Try again.'): EsapAPIError {
    return reason instanceof EsapAPIError
      ? reason
      : new EsapAPIError({
          code: 'unexpected_error',
          message: String(reason),
          fix
        });
  }

  /**
   * Machine-readable error code.
   */
  readonly code: string;

  /**
   * What to do about the error.
   */
  readonly fix: string;

  /**
   * HTTP status of the response, or `null` when no response arrived.
   */
  readonly status: number | null;

  /**
   * The one request field at fault, when the server names one.
   */
  readonly field: string | null;

  /**
   * Every request field at fault (the one `field` included), for a form.
   */
  readonly problems: readonly IFieldProblem[];
}

export namespace EsapAPIError {
  export interface IOptions {
    code: string;
    message: string;
    fix: string;
    status?: number | null;
    field?: string | null;
    problems?: IFieldProblem[];
  }
}

function isProblem(value: unknown): value is IFieldProblem {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const { field, message, fix } = value as Record<string, unknown>;
  return (
    typeof field === 'string' &&
    typeof message === 'string' &&
    (fix === undefined || typeof fix === 'string')
  );
}

function isErrorBody(value: unknown): value is IErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) {
    return false;
  }
  const error = (value as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { code, message, fix, field } = error as Record<string, unknown>;
  return (
    typeof code === 'string' &&
    typeof message === 'string' &&
    (fix === undefined || typeof fix === 'string') &&
    (field === undefined || field === null || typeof field === 'string')
  );
}

/**
 * The field a `bad_field` 400 names at the start of its message
 * (`"radius: -1: must be…"` → `radius`): how servers said it before the
 * field had its own key.
 */
function prefixedField(status: number, code: string, message: string) {
  if (status !== 400 || code !== 'bad_field') {
    return null;
  }
  const match = /^([A-Za-z_][\w.]*)\s*:/.exec(message);
  return match ? match[1] : null;
}

/**
 * Read the answer of a refused request into an `EsapAPIError`: the ESAP
 * error body when there is one (its field, or its problems, kept for the
 * form), otherwise an error naming the HTTP status. The one reader of error
 * bodies in the lab extension.
 */
function errorFromResponse(
  status: number,
  statusText: string,
  body: string
): EsapAPIError {
  let parsed: unknown;
  try {
    parsed = body.length > 0 ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isErrorBody(parsed)) {
    const { code, message, fix } = parsed.error;
    const field =
      parsed.error.field ?? prefixedField(status, code, message) ?? null;
    const listed = (parsed.error.problems ?? parsed.problems ?? []).filter(
      isProblem
    );
    const problems =
      listed.length > 0 ? listed : field ? [{ field, message, fix }] : [];
    return new EsapAPIError({
      code,
      message,
      fix: fix ?? '',
      status,
      field,
      problems
    });
  }
  if (status === 404) {
    return new EsapAPIError({
      code: 'not_found',
      message: `The ESAP API is not available on this server (${status} ${statusText}).`,
      fix: 'Enable the esap server extension (`jupyter server extension enable esap`) and restart the server.',
      status
    });
  }
  return new EsapAPIError({
    code: `http_${status}`,
    message: `The ESAP API answered ${status} ${statusText}.`,
    fix: 'Try again; if it keeps failing, ask your hub admin to check the server log.',
    status
  });
}

/**
 * Send a request to the ESAP REST API; a non-OK answer is thrown as its
 * `EsapAPIError`. `null` when the request was aborted through its signal.
 */
async function send(
  endPoint: string,
  init: RequestInit,
  settings: ServerConnection.ISettings
): Promise<Response | null> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    if (init.signal?.aborted) {
      return null;
    }
    throw new EsapAPIError({
      code: 'network_error',
      message: `Could not reach the Jupyter server: ${String(reason)}`,
      fix: 'Check your network connection and that your server is still running, then retry.'
    });
  }
  if (!response.ok) {
    throw errorFromResponse(
      response.status,
      response.statusText,
      await response.text()
    );
  }
  return response;
}

/**
 * Call the ESAP REST API of the user's Jupyter server.
 *
 * @param endPoint Path below `esap/api/v1`, e.g. `config`.
 * @param init Fetch options (method, body, headers).
 * @param settings Server connection settings; defaults to the page's.
 * @returns The response body parsed as JSON (`undefined` when empty, or
 *   when the request was aborted through `init.signal`).
 * @throws {EsapAPIError} On a network failure, a non-OK answer (carrying the
 *   server's code, message, fix and fields) or a body that is not JSON.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const response = await send(endPoint, init, settings);
  const body = response ? await response.text() : '';
  if (body.length === 0) {
    return undefined as T;
  }
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new EsapAPIError({
      code: 'invalid_response',
      message: `The ESAP API answered ${endPoint} with a body that is not JSON.`,
      fix: 'Ask your hub admin to check that the esap server extension matches this lab extension.',
      status: response?.status ?? null
    });
  }
}

/**
 * Call an ESAP endpoint that answers a stream of NDJSON values, handing
 * each to `onValue` as soon as its line arrives (the body is read
 * incrementally, not buffered). Returns quietly once `init.signal` aborts.
 *
 * @throws {EsapAPIError} When the server refuses the request, the stream
 *   breaks off or a line is not JSON.
 */
export async function streamAPI(
  endPoint: string,
  init: RequestInit,
  onValue: (value: unknown) => void,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<void> {
  const response = await send(endPoint, init, settings);
  if (!response) {
    return;
  }
  const reader = response.body?.getReader();
  if (!reader) {
    throw new EsapAPIError({
      code: 'invalid_response',
      message: `The answer of ${endPoint} has no body to stream.`,
      fix: 'Use a browser with streaming fetch (any current one), then retry.'
    });
  }
  const decoder = new NdjsonDecoder();
  const text = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      decoder.push(text.decode(value, { stream: true })).forEach(onValue);
    }
    decoder.push(text.decode()).forEach(onValue);
    decoder.end().forEach(onValue);
  } catch (reason) {
    if (init.signal?.aborted) {
      return;
    }
    if (reason instanceof EsapAPIError) {
      throw reason;
    }
    if (reason instanceof NdjsonLineError) {
      throw new EsapAPIError({
        code: 'invalid_response',
        message: `The answer of ${endPoint} sent ${reason.message}`,
        fix: 'Ask your hub admin to check that the esap server extension matches this lab extension.',
        status: response.status
      });
    }
    throw new EsapAPIError({
      code: 'stream_broken',
      message: `The answer of ${endPoint} broke off: ${String(reason)}`,
      fix: 'Retry; what already arrived stays shown.',
      status: response.status
    });
  }
}
