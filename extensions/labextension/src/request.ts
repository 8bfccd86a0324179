import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The namespace of the ESAP REST API on the user's Jupyter server.
 */
export const API_NAMESPACE = 'esap/api/v1';

/**
 * The JSON body of every error the ESAP server extension answers:
 * `{"error": {"code": str, "message": str, "fix": str}}`.
 */
export interface IErrorBody {
  error: {
    code: string;
    message: string;
    /** Always sent by the ESAP server; tolerated missing from other servers. */
    fix?: string;
  };
}

/**
 * An error from the ESAP REST API, or from reaching it.
 *
 * `code` is machine-readable (for example `config_invalid`), `message` says
 * what went wrong and `fix` what the user or the admin can do about it.
 */
export class EsapAPIError extends Error {
  constructor(options: EsapAPIError.IOptions) {
    super(options.message);
    this.name = 'EsapAPIError';
    this.code = options.code;
    this.fix = options.fix;
    this.status = options.status ?? null;
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
}

export namespace EsapAPIError {
  export interface IOptions {
    code: string;
    message: string;
    fix: string;
    status?: number | null;
  }
}

/**
 * Whether a parsed JSON value is an ESAP error body.
 */
export function isErrorBody(value: unknown): value is IErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) {
    return false;
  }
  const error = (value as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { code, message, fix } = error as Record<string, unknown>;
  return (
    typeof code === 'string' &&
    typeof message === 'string' &&
    (fix === undefined || typeof fix === 'string')
  );
}

/**
 * Turn a non-OK response into an `EsapAPIError`.
 */
function errorFromResponse(response: Response, body: string): EsapAPIError {
  let parsed: unknown = undefined;
  try {
    parsed = body.length > 0 ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isErrorBody(parsed)) {
    return new EsapAPIError({
      code: parsed.error.code,
      message: parsed.error.message,
      fix: parsed.error.fix ?? '',
      status: response.status
    });
  }
  if (response.status === 404) {
    return new EsapAPIError({
      code: 'not_found',
      message: `The ESAP API is not available on this server (${response.status} ${response.statusText}).`,
      fix: 'Enable the esap server extension (`jupyter server extension enable esap`) and restart the server.',
      status: response.status
    });
  }
  return new EsapAPIError({
    code: `http_${response.status}`,
    message: `The ESAP API answered ${response.status} ${response.statusText}.`,
    fix: 'Try again; if it keeps failing, ask your hub admin to check the server log.',
    status: response.status
  });
}

/**
 * Call the ESAP REST API of the user's Jupyter server.
 *
 * @param endPoint Path below `esap/api/v1`, e.g. `config`.
 * @param init Fetch options (method, body, headers).
 * @param settings Server connection settings; defaults to the page's.
 * @returns The response body parsed as JSON (`undefined` when empty).
 * @throws {EsapAPIError} On a network failure, a non-OK answer (carrying the
 *   server's code, message and fix) or a body that is not JSON.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    throw new EsapAPIError({
      code: 'network_error',
      message: `Could not reach the Jupyter server: ${String(reason)}`,
      fix: 'Check your network connection and that your server is still running, then retry.'
    });
  }

  const body = await response.text();
  if (!response.ok) {
    throw errorFromResponse(response, body);
  }
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
      status: response.status
    });
  }
}
