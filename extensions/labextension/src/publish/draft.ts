import * as React from 'react';

import { ICreator, IMetadata, IPublicationRequest } from './api';

/**
 * The Publish form as the user typed it: text, so nothing they typed is
 * reformatted or lost when the server refuses a field.
 */
export interface IDraft {
  /** One path per line, relative to the home. */
  files: string;
  title: string;
  creators: ICreator[];
  description: string;
  license: string;
  /** Comma-separated. */
  keywords: string;
  /** One per line: identifier, then relation. */
  related: string;
  community: string;
}

const EMPTY_CREATOR: ICreator = { name: '', affiliation: '', orcid: '' };

/**
 * The draft, and how to change one of its fields or creators.
 */
export function useDraft(start: {
  files: string[];
  title?: string;
  description?: string;
  related?: string;
}): {
  draft: IDraft;
  set: <K extends keyof IDraft>(key: K, value: IDraft[K]) => void;
  setCreator: (index: number, key: keyof ICreator, value: string) => void;
  addCreator: () => void;
} {
  const [draft, setDraft] = React.useState<IDraft>(() => ({
    files: start.files.join('\n'),
    title: start.title ?? '',
    creators: [{ ...EMPTY_CREATOR }],
    description: start.description ?? '',
    license: 'CC-BY-4.0',
    keywords: '',
    related: start.related ?? '',
    community: ''
  }));
  return {
    draft,
    set: (key, value) => setDraft(d => ({ ...d, [key]: value })),
    setCreator: (index, key, value) =>
      setDraft(d => ({
        ...d,
        creators: d.creators.map((c, i) =>
          i === index ? { ...c, [key]: value } : c
        )
      })),
    addCreator: () =>
      setDraft(d => ({ ...d, creators: [...d.creators, { ...EMPTY_CREATOR }] }))
  };
}

/**
 * The publication request a draft asks for: empty creators and lines left
 * out, a related identifier's relation `IsSupplementTo` unless given.
 */
export function requestOf(
  draft: IDraft,
  archive: string,
  versionOf: string | null
): IPublicationRequest {
  const metadata: IMetadata = {
    title: draft.title,
    creators: draft.creators
      .filter(c => c.name.trim() || c.affiliation?.trim() || c.orcid?.trim())
      .map(c => ({
        name: c.name,
        ...(c.affiliation?.trim() ? { affiliation: c.affiliation } : {}),
        ...(c.orcid?.trim() ? { orcid: c.orcid } : {})
      })),
    description: draft.description,
    license: draft.license,
    keywords: draft.keywords
      .split(',')
      .map(k => k.trim())
      .filter(k => k),
    related_identifiers: draft.related
      .split('\n')
      .map(line => line.trim())
      .filter(line => line)
      .map(line => {
        const [identifier, relation] = line.split(/\s+/, 2);
        return { identifier, relation: relation || 'IsSupplementTo' };
      }),
    ...(draft.community.trim() ? { community: draft.community.trim() } : {})
  };
  return {
    files: draft.files
      .split('\n')
      .map(f => f.trim())
      .filter(f => f),
    metadata,
    archive,
    version_of: versionOf
  };
}
