import * as React from 'react';

import { describe, PublishAPI } from './api';

/**
 * An archive the user may publish to, and whether it still needs their token.
 */
export interface IArchiveChoice {
  name: string;
  title: string;
  description: string;
  needsToken: boolean;
  hasToken: boolean;
}

/**
 * The archives the hub offers (with the user's token state) and the
 * licences to choose from, loaded once; `archive` starts at the first.
 * A failure to load them goes to `report`, as text.
 */
export function useArchives(report: (message: string) => void): {
  archives: IArchiveChoice[];
  licenses: { id: string; name: string }[];
  archive: string;
  setArchive: (name: string) => void;
  /** The chosen archive has the user's token now. */
  tokenStored: (name: string) => void;
} {
  const [archives, setArchives] = React.useState<IArchiveChoice[]>([]);
  const [archive, setArchive] = React.useState('');
  const [licenses, setLicenses] = React.useState<
    { id: string; name: string }[]
  >([]);
  React.useEffect(() => {
    void (async () => {
      try {
        const [offered, tokens, choices] = await Promise.all([
          PublishAPI.archives(),
          PublishAPI.tokens(),
          PublishAPI.choices()
        ]);
        const choicesList = offered.map(entry => {
          const state = tokens.find(t => t.archive === entry.name);
          return {
            name: entry.name,
            title: entry.title,
            description: entry.description,
            needsToken: state?.needs_token ?? false,
            hasToken: state?.has_token ?? false
          };
        });
        setArchives(choicesList);
        setArchive(current => current || (choicesList[0]?.name ?? ''));
        setLicenses(choices.licenses);
      } catch (reason) {
        report(describe(reason));
      }
    })();
  }, [report]);

  return {
    archives,
    licenses,
    archive,
    setArchive,
    tokenStored: name =>
      setArchives(list =>
        list.map(a => (a.name === name ? { ...a, hasToken: true } : a))
      )
  };
}
