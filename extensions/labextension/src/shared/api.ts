import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from '../request';

/** What a share lets its holder do in the lab. */
export type Access = 'read' | 'full';

/** This lab shared with a user or a group (`GET shares`). */
export interface IShare {
  kind: 'user' | 'group';
  name: string;
  access: Access;
  /** Unix time (seconds). */
  created_at: number | null;
  /** Unix time the hub's esap-sharing service ends it. */
  expires_at: number | null;
}

/** A link to this lab (a JupyterHub share code). */
export interface IShareLink {
  id: string;
  access: Access;
  created_at: number | null;
  expires_at: number | null;
  exchange_count: number;
  /** Answered once, when the link is made. */
  accept_url?: string;
}

/** A lab someone shares with the user, directly or through a group. */
export interface IIncomingShare {
  owner: string;
  server: string;
  url: string;
  ready: boolean;
  access: Access;
  via: 'user' | 'group';
  name: string;
  expires_at: number | null;
}

export interface IShares {
  /** False on a hub that does not allow sharing (the lists are then empty). */
  enabled: boolean;
  max_seconds: number | null;
  shares: IShare[];
  links: IShareLink[];
  incoming: IIncomingShare[];
}

/** One of the user's project folders (`GET projects`). */
export interface IProject {
  name: string;
  title: string;
  description: string;
  access: 'read' | 'write';
  path: string;
  read_groups: string[];
  write_groups: string[];
  size: string | null;
  basket: {
    count: number;
    updated_by: string | null;
    updated_at: string | null;
  };
}

/**
 * The REST API of sharing and projects (`/esap/api/v1/shares...`,
 * `/esap/api/v1/projects...`).
 */
export class SharedAPI {
  constructor(settings: ServerConnection.ISettings) {
    this._settings = settings;
  }

  shares(): Promise<IShares> {
    return requestAPI<IShares>('shares', {}, this._settings);
  }

  share(
    kind: 'user' | 'group',
    name: string,
    access: Access,
    expiresIn: number
  ): Promise<IShare> {
    return this._post('shares', {
      kind,
      name,
      access,
      expires_in: expiresIn
    });
  }

  revoke(share: IShare): Promise<void> {
    return requestAPI(
      `shares/${share.kind}/${encodeURIComponent(share.name)}`,
      { method: 'DELETE' },
      this._settings
    );
  }

  makeLink(access: Access, expiresIn: number): Promise<IShareLink> {
    return this._post('shares/links', { access, expires_in: expiresIn });
  }

  withdrawLink(link: IShareLink): Promise<void> {
    return requestAPI(
      `shares/links/${encodeURIComponent(link.id)}`,
      { method: 'DELETE' },
      this._settings
    );
  }

  async projects(): Promise<IProject[]> {
    const answer = await requestAPI<{ projects: IProject[] }>(
      'projects',
      {},
      this._settings
    );
    return answer.projects;
  }

  publish(project: string): Promise<{ published: number; count: number }> {
    return this._post(`projects/${encodeURIComponent(project)}/basket`, {});
  }

  copyToMine(project: string): Promise<{ ids: string[]; total: number }> {
    return this._post(
      `projects/${encodeURIComponent(project)}/basket/copy`,
      {}
    );
  }

  private _post<T>(path: string, body: unknown): Promise<T> {
    return requestAPI<T>(
      path,
      { method: 'POST', body: JSON.stringify(body) },
      this._settings
    );
  }

  private _settings: ServerConnection.ISettings;
}

/** The notebook code that opens a project's shared basket. */
export function projectBasketCode(name: string): string | null {
  // project names are ids (esap.yaml checks them): safe in a Python string
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(name)) {
    return null;
  }
  return [
    'import esap',
    `# the shared basket of project ${name}: open an item with shared.open(item_id)`,
    `shared = esap.basket.project('${name}')`,
    'shared.items()'
  ].join('\n');
}
