/**
 * The highest signed version this device has seen of each versioned record (a folder's manifest, a shared folder's
 * editor roster, an account's key set, the revision sealed in one of the account's lists), so that a server serving an
 * older, once-valid state is noticed (threat model row 10). It holds ids and
 * counters only, never a name or a key, and lives in IndexedDB so that the app's page and its workers share it. It
 * outlives sign-out on purpose: a memory wiped at every sign-out would let a rollback through at the next sign-in.
 */
import { inTransaction, resultOf, type SingleStore } from '../indexed-db.ts';

const SEEN: SingleStore = { database: 'coffer-seen-versions', store: 'versions' };

/**
 * What carries a signed or sealed, increasing version: a folder (its manifest, and its editor roster when shared), an
 * account (its key set, its contacts and its accepted shares, sealed-list-document.ts).
 */
export type VersionedRecordKind = 'folder' | 'editor-roster' | 'key-set' | 'contacts' | 'accepted-shares';

/** What the device remembers of one account's versioned records. */
export interface SeenVersions {
  /** The highest version seen of the record, or undefined when this device has never seen it. */
  highest(kind: VersionedRecordKind, id: string): Promise<number | undefined>;
  /** Records `version` as seen, keeping the higher of it and what was remembered. */
  remember(kind: VersionedRecordKind, id: string, version: number): Promise<void>;
}

/**
 * An id in its one spelling, lower case with hyphens, whatever case or hyphens it came with: the memory of a record is
 * found under any spelling of its id, so that a server spelling it another way cannot find it empty.
 */
export function canonicalId(id: string): string {
  const hex = id.toLowerCase().replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/.test(hex)) return id.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const recordKey = (accountId: string, kind: VersionedRecordKind, id: string) =>
  `${canonicalId(accountId)}/${kind}/${canonicalId(id)}`;

/** The device's memory for `accountId`, in IndexedDB. */
export function openSeenVersions(accountId: string): SeenVersions {
  return {
    highest: (kind, id) =>
      inTransaction(
        SEEN,
        'readonly',
        async (store) => (await resultOf(store.get(recordKey(accountId, kind, id)))) as number | undefined,
      ),
    // Read and write in one transaction, so that two tabs remembering at once keep the higher version.
    remember: (kind, id, version) =>
      inTransaction(SEEN, 'readwrite', async (store) => {
        const key = recordKey(accountId, kind, id);
        const known = (await resultOf(store.get(key))) as number | undefined;
        if (known === undefined || version > known) store.put(version, key);
      }),
  };
}

/** The same memory held in a Map, for code that runs outside a browser (the tests in Node). */
export function seenVersionsInMemory(): SeenVersions {
  const versions = new Map<string, number>();
  const key = (kind: VersionedRecordKind, id: string) => `${kind}/${canonicalId(id)}`;
  return {
    highest: async (kind, id) => versions.get(key(kind, id)),
    remember: async (kind, id, version) => {
      const known = versions.get(key(kind, id));
      if (known === undefined || version > known) versions.set(key(kind, id), version);
    },
  };
}
