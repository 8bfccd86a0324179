import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from '../request';

/**
 * A software record as `GET software/search` and `GET software/records/...`
 * answer it (codemeta terms; `codemeta` only in details).
 */
export interface ISoftware {
  catalogue: string;
  identifier: string;
  name: string;
  description: string;
  version: string | null;
  licence: string | null;
  languages: string[];
  runtimes: string[];
  keywords: string[];
  authors: string[];
  repository: string | null;
  ref: string | null;
  url: string | null;
  doi: string | null;
  publications: string[];
  binder_url: string | null;
  basket_item: Record<string, unknown>;
  codemeta?: Record<string, unknown>;
}

/**
 * What a search answers: the hits, and each failing catalogue's message.
 */
export interface ISearchResult {
  hits: ISoftware[];
  errors: Record<string, string>;
  catalogues: string[];
}

export interface ISearchForm {
  q: string;
  language: string;
  license: string;
  runtime: string;
}

export type StepState = 'pending' | 'running' | 'done' | 'skipped' | 'error';

export interface ILaunchStep {
  name: string;
  state: StepState;
  output: string;
}

/**
 * One "Open in my lab" launch and where it is.
 */
export interface ILaunch {
  id: string;
  repository: string;
  ref: string | null;
  name: string;
  state: 'running' | 'done' | 'error' | 'interrupted';
  steps: ILaunchStep[];
  current: string | null;
  failed: string | null;
  progress: number;
  kernel: string | null;
  notebook: string | null;
  error: string | null;
}

/**
 * The software endpoints of the ESAP API.
 */
export class SoftwareAPI {
  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings;
  }

  search(form: ISearchForm): Promise<ISearchResult> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) {
      if (value.trim()) {
        params.set(key, value.trim());
      }
    }
    return requestAPI<ISearchResult>(
      `software/search?${params.toString()}`,
      {},
      this.settings
    );
  }

  details(hit: ISoftware): Promise<ISoftware> {
    return requestAPI<ISoftware>(
      `software/records/${encodeURIComponent(hit.catalogue)}/${encodeURIComponent(hit.identifier)}`,
      {},
      this.settings
    );
  }

  /**
   * Start "Open in my lab". The ref is left to the repository's default
   * branch: a catalogue's version is not always a tag of its repository, so
   * checking it out could fail where the default branch works. The REST API
   * itself takes a branch, a tag or a commit as `ref`.
   */
  launch(repository: string, name: string): Promise<ILaunch> {
    return requestAPI<ILaunch>(
      'software/launch',
      {
        method: 'POST',
        body: JSON.stringify({ repository, ref: null, name })
      },
      this.settings
    );
  }

  launchState(id: string): Promise<ILaunch> {
    return requestAPI<ILaunch>(
      `software/launches/${encodeURIComponent(id)}`,
      {},
      this.settings
    );
  }

  async launches(): Promise<ILaunch[]> {
    const answer = await requestAPI<{ launches: ILaunch[] }>(
      'software/launches',
      {},
      this.settings
    );
    return answer.launches;
  }

  private readonly settings?: ServerConnection.ISettings;
}
