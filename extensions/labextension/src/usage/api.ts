import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from '../request';

/**
 * One limit of the user's: its value (null: none) and the `esap.yaml` key it
 * comes from, for the admin to raise.
 */
export interface IUsageLimit {
  value: number | null;
  key: string;
}

/**
 * The home folder: its size on disk, against the quota when the hub sets one.
 */
export interface IHomeUse {
  path: string;
  bytes: number;
  files: number;
  quota: number | null;
  /** bytes / quota, or null without a quota. */
  share: number | null;
  /** Past 90% of the quota: the lab warns. */
  warn: boolean;
  /** Unix time the measurement began. */
  measured_at: number;
}

/**
 * One of the user's servers at the hub.
 */
export interface IServerUse {
  /** '' for the default server. */
  name: string;
  ready: boolean;
  pending: string | null;
  started: string | null;
  running_seconds: number | null;
}

/**
 * One Dask cluster: what it holds, its scheduler's share included.
 */
export interface IClusterUse {
  name: string;
  status: string;
  started: string | null;
  /** Null when its scheduler did not answer. */
  workers: number | null;
  cores: number;
  /** Bytes. */
  memory: number;
}

/**
 * The user's Dask clusters against their limits (`enabled` false: no Dask).
 */
export interface IDaskUse {
  enabled: boolean;
  clusters: IClusterUse[];
  in_use: { clusters: number; cores: number; memory: number } | null;
  limits: {
    clusters: IUsageLimit;
    cores: IUsageLimit;
    memory: IUsageLimit;
  } | null;
}

/**
 * A job still pending or running.
 */
export interface IJobUse {
  kind: string;
  id: string;
  state: string;
  about: string | null;
  progress: { done: number; total: number | null; message: string };
  created: string;
}

/**
 * A part of the report that could not be read, and why.
 */
export interface IUsageProblem {
  part: string;
  code: string;
  message: string;
  fix: string;
}

/**
 * `GET usage`: what the user uses now.
 */
export interface IUsage {
  user: string | null;
  measured_at: number;
  home: IHomeUse;
  servers: IServerUse[];
  dask: IDaskUse;
  jobs: IJobUse[];
  problems: IUsageProblem[];
}

/**
 * The usage report; `fresh` measures the home again now (else a measurement
 * of the last half minute may answer).
 */
export function fetchUsage(
  fresh = false,
  settings?: ServerConnection.ISettings
): Promise<IUsage> {
  return requestAPI<IUsage>(fresh ? 'usage?fresh=true' : 'usage', {}, settings);
}

const UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Bytes in the decimal units `esap.yaml` writes sizes in (10G = 10 GB).
 */
export function formatBytes(count: number): string {
  let value = count;
  for (const unit of UNITS) {
    if (Math.abs(value) < 1000 || unit === UNITS[UNITS.length - 1]) {
      return unit === 'bytes'
        ? `${Math.round(value)} ${unit}`
        : `${Number(value.toPrecision(3))} ${unit}`;
    }
    value /= 1000;
  }
  return `${count} bytes`;
}

/**
 * Seconds as "5 min", "2 h 10 min" or "3 days 4 h".
 */
export function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours} h ${minutes % 60} min`;
  }
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}
