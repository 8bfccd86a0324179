import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  API_NAMESPACE,
  EsapAPIError,
  isErrorBody,
  requestAPI
} from '../request';

/**
 * A problem with one field of a publication request, as the server names it
 * (`title`, `creators[0].orcid`, `files`, `token`, ...).
 */
export interface IFieldProblem {
  field: string;
  message: string;
}

export interface ICreator {
  name: string;
  affiliation?: string;
  orcid?: string;
}

export interface IRelated {
  identifier: string;
  relation: string;
}

export interface IMetadata {
  title: string;
  creators: ICreator[];
  description: string;
  license: string;
  keywords: string[];
  related_identifiers: IRelated[];
  community?: string;
  version?: string;
}

export interface IPublicationRequest {
  files: string[];
  metadata: IMetadata;
  archive: string;
  version_of?: string | null;
}

export interface IPreview {
  archive: string;
  needs_token: boolean;
  files: { name: string; size: number }[];
  total_size: number;
  package: string[];
  inputs: { service: string; access_url: string; query?: string | null }[];
}

export interface IPublication {
  id: string;
  title: string;
  archive: string;
  state: string;
  state_text: string;
  published: boolean;
  running: boolean;
  error: string | null;
  fix: string | null;
  files: string[];
  draft_url: string | null;
  created: number;
  record: {
    id: string;
    url: string;
    doi: string | null;
    concept_doi: string | null;
  } | null;
  progress: {
    step: string;
    sent: number;
    total: number;
    file: string | null;
  } | null;
}

export interface IArchiveToken {
  archive: string;
  needs_token: boolean;
  has_token: boolean;
}

export interface IChoices {
  licenses: { id: string; name: string }[];
  resource_types: string[];
  relations: string[];
}

/**
 * The answer to a request the server may refuse field by field (422).
 */
export type Checked<T> =
  | { ok: true; value: T }
  | { ok: false; problems: IFieldProblem[]; message: string };

/**
 * POST a publication request; a 422 answer becomes its field problems.
 */
async function checkedPost<T>(
  endPoint: string,
  body: unknown
): Promise<Checked<T>> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { method: 'POST', body: JSON.stringify(body) },
      settings
    );
  } catch (reason) {
    throw new EsapAPIError({
      code: 'network_error',
      message: `Could not reach the Jupyter server: ${String(reason)}`,
      fix: 'Check that your server is still running, then retry.'
    });
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) {
    return { ok: true, value: parsed as T };
  }
  if (response.status === 422 && isErrorBody(parsed)) {
    const problems = (parsed as { problems?: IFieldProblem[] }).problems ?? [];
    return { ok: false, problems, message: parsed.error.message };
  }
  if (isErrorBody(parsed)) {
    throw new EsapAPIError({
      code: parsed.error.code,
      message: parsed.error.message,
      fix: parsed.error.fix ?? '',
      status: response.status
    });
  }
  throw new EsapAPIError({
    code: `http_${response.status}`,
    message: `The ESAP API answered ${response.status} ${response.statusText}.`,
    fix: 'Try again; if it keeps failing, ask your hub admin to check the server log.',
    status: response.status
  });
}

/**
 * The publish part of the ESAP REST API.
 */
export namespace PublishAPI {
  export function validate(
    metadata: IMetadata
  ): Promise<{ valid: boolean; problems: IFieldProblem[] }> {
    return requestAPI('publish/validate', {
      method: 'POST',
      body: JSON.stringify({ metadata })
    });
  }

  export function preview(
    request: IPublicationRequest
  ): Promise<Checked<IPreview>> {
    return checkedPost<IPreview>('publish/preview', request);
  }

  export function start(
    request: IPublicationRequest
  ): Promise<Checked<IPublication>> {
    return checkedPost<IPublication>('publish/publications', request);
  }

  export function get(id: string): Promise<IPublication> {
    return requestAPI<IPublication>(
      `publish/publications/${encodeURIComponent(id)}`
    );
  }

  export function retry(id: string): Promise<IPublication> {
    return requestAPI<IPublication>(
      `publish/publications/${encodeURIComponent(id)}/retry`,
      { method: 'POST' }
    );
  }

  export async function list(): Promise<IPublication[]> {
    const body = await requestAPI<{ publications: IPublication[] }>(
      'publish/publications'
    );
    return body.publications;
  }

  export async function tokens(): Promise<IArchiveToken[]> {
    const body = await requestAPI<{ archives: IArchiveToken[] }>(
      'publish/tokens'
    );
    return body.archives;
  }

  /**
   * Store the user's token; the server never sends it back.
   */
  export async function storeToken(
    archive: string,
    token: string
  ): Promise<void> {
    await requestAPI<void>(`publish/tokens/${encodeURIComponent(archive)}`, {
      method: 'PUT',
      body: JSON.stringify({ token })
    });
  }

  export function choices(): Promise<IChoices> {
    return requestAPI<IChoices>('publish/licenses');
  }

  export async function archives(): Promise<
    { name: string; title: string; description: string; type: string }[]
  > {
    const config = await requestAPI<{
      archives: {
        name: string;
        title: string;
        description: string;
        type: string;
      }[];
    }>('config');
    return config.archives ?? [];
  }
}

/**
 * Whether a URL may be rendered as a link (http or https only; never
 * `javascript:` or anything an archive could slip in).
 */
export function isWebLink(url: string | null | undefined): url is string {
  return typeof url === 'string' && /^https?:\/\//i.test(url);
}

/**
 * A byte count for people.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
