/**
 * The writes this device signed whose folder manifest (docs/FORMAT.md section 5.3) may not name them yet: a write
 * commits on the server, then its folder is re-signed, and a tab closed or a network lost between the two leaves the
 * child refused in its folder. Each entry is the child's id and the manifest digest of the state this device signed
 * for it (a hash of ciphertext the server already holds), never a name or a key. A later visit re-signs a child only
 * when the server lists it in exactly that state, so a server cannot bring back anything this device did not write
 * last. Kept in IndexedDB, like the versions it has seen (seen-versions.ts).
 */
import type { FolderManifestEntry } from '$shared/crypto/index.ts';

const DATABASE = 'coffer-pending-writes';
const STORE = 'writes';

export interface PendingWrites {
  /** Remembers that this device signed `entry` as a child of the folder, before the write is sent. */
  add(folderId: string, entry: FolderManifestEntry): Promise<void>;
  /** The writes of the folder not yet settled, oldest first. */
  of(folderId: string): Promise<FolderManifestEntry[]>;
  /** Forgets these writes of the folder, once a manifest signed after them names them or their child left. */
  settle(folderId: string, entries: readonly FolderManifestEntry[]): Promise<void>;
}

const same = (a: FolderManifestEntry, b: FolderManifestEntry) => a.id === b.id && a.digest === b.digest;
const without = (entries: FolderManifestEntry[], settled: readonly FolderManifestEntry[]) =>
  entries.filter((entry) => !settled.some((done) => same(done, entry)));

function resultOf<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(): Promise<IDBDatabase> {
  const opening = indexedDB.open(DATABASE, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
  return resultOf(opening);
}

/** Reads and rewrites one folder's list in one transaction, so that two tabs writing at once lose nothing. */
async function update(key: string, change: (entries: FolderManifestEntry[]) => FolderManifestEntry[]): Promise<void> {
  const database = await openDatabase();
  try {
    const transaction = database.transaction(STORE, 'readwrite');
    const committed = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new DOMException('transaction aborted', 'AbortError'));
    });
    const store = transaction.objectStore(STORE);
    const changed = change(((await resultOf(store.get(key))) as FolderManifestEntry[] | undefined) ?? []);
    if (changed.length > 0) store.put(changed, key);
    else store.delete(key);
    await committed;
  } finally {
    database.close();
  }
}

/** The device's journal for `accountId`, in IndexedDB. */
export function openPendingWrites(accountId: string): PendingWrites {
  const keyOf = (folderId: string) => `${accountId}/${folderId}`;
  return {
    add: (folderId, entry) => update(keyOf(folderId), (entries) => [...without(entries, [entry]), entry]),
    async of(folderId) {
      const database = await openDatabase();
      try {
        const store = database.transaction(STORE, 'readonly').objectStore(STORE);
        return ((await resultOf(store.get(keyOf(folderId)))) as FolderManifestEntry[] | undefined) ?? [];
      } finally {
        database.close();
      }
    },
    settle: (folderId, settled) => update(keyOf(folderId), (entries) => without(entries, settled)),
  };
}

/** The same journal held in a Map, for code that runs outside a browser (the tests in Node). */
export function pendingWritesInMemory(): PendingWrites {
  const folders = new Map<string, FolderManifestEntry[]>();
  return {
    add: async (folderId, entry) => {
      folders.set(folderId, [...without(folders.get(folderId) ?? [], [entry]), entry]);
    },
    of: async (folderId) => [...(folders.get(folderId) ?? [])],
    settle: async (folderId, settled) => {
      folders.set(folderId, without(folders.get(folderId) ?? [], settled));
    },
  };
}
