import { JobFollower, JobsAPI } from '../jobs';
import { EsapAPIError, IFieldProblem, requestAPI } from '../request';

/**
 * A problem with one field of a publication request, as the server names it
 * (`title`, `creators[0].orcid`, `files`, `token`, ...).
 */
export type { IFieldProblem };

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
 * POST a publication request; an answer that refuses fields (422, or an
 * error naming its fields) becomes those fields' problems.
 */
async function checkedPost<T>(
  endPoint: string,
  body: unknown
): Promise<Checked<T>> {
  try {
    const value = await requestAPI<T>(endPoint, {
      method: 'POST',
      body: JSON.stringify(body)
    });
    return { ok: true, value };
  } catch (reason) {
    if (
      reason instanceof EsapAPIError &&
      (reason.status === 422 || reason.problems.length > 0)
    ) {
      return {
        ok: false,
        problems: [...reason.problems],
        message: reason.message
      };
    }
    throw reason;
  }
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

  /** Run an unfinished publication again (the same draft, never a second record). */
  export async function retry(id: string): Promise<IPublication> {
    await new JobsAPI().start('publish', { publication: id });
    return get(id);
  }

  /**
   * Follow a publication's run (a job of kind `publish`, under the
   * publication's id) until it ends, calling `onChange` with the publication
   * each time the run moves; resolves with the publication as it ended.
   */
  export async function follow(
    started: IPublication,
    onChange: (publication: IPublication) => void,
    interval = 400
  ): Promise<IPublication> {
    if (!started.running) {
      return started;
    }
    const run = await new JobsAPI().get('publish', started.id);
    const follower = new JobFollower(run, { interval });
    let ended = false; // a late answer must not undo the final one
    const show = (publication: IPublication) => ended || onChange(publication);
    follower.changed.connect(
      () => void get(started.id).then(show, () => undefined)
    );
    try {
      await follower.done;
    } finally {
      ended = true;
      follower.dispose();
    }
    return get(started.id);
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

/**
 * An error as one line for the dialog: its message, then its fix.
 */
export function describe(reason: unknown): string {
  if (reason instanceof EsapAPIError) {
    return reason.fix ? `${reason.message} — ${reason.fix}` : reason.message;
  }
  return String(reason);
}
