import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from '../request';

/**
 * What `POST tutorials/copy` answers: the folder in the home, the files
 * copied now, those the user already had (left untouched) and the first
 * tutorial to open.
 */
export interface ITutorialsCopy {
  folder: string;
  copied: string[];
  kept: string[];
  first: string | null;
}

/**
 * Copy the shipped tutorials into the home; never overwrites the user's copies.
 */
export function copyTutorials(
  settings?: ServerConnection.ISettings
): Promise<ITutorialsCopy> {
  return requestAPI<ITutorialsCopy>(
    'tutorials/copy',
    { method: 'POST' },
    settings
  );
}
