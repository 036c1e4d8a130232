/**
 * Files shared to Coffer from the system share sheet, waiting on this device for the user to accept or discard each.
 * The service worker receives a share (a POST to /share-target) when no page, and so no key, may exist yet: it keeps
 * the files here, in IndexedDB, in plaintext that never leaves the device in that form. The app lists them once it is
 * unlocked; a file is encrypted and uploaded only when the user accepts it. Locking and signing out empty the inbox,
 * and a share left waiting longer than SHARE_LIFETIME_MS is dropped, so that plaintext does not linger on the disk.
 * The service worker and the app both use this module.
 */
import { inTransaction, resultOf, type SingleStore } from '../indexed-db.ts';

const INBOX: SingleStore = {
  database: 'coffer-shared-inbox',
  store: 'files',
  options: { keyPath: 'id', autoIncrement: true },
};

/**
 * How long a share waits to be accepted. A share opens the app at once, so a day is ample for the user to unlock and
 * decide, and it bounds how long a share the user never looked at (perhaps one a web page planted) stays on the disk.
 */
export const SHARE_LIFETIME_MS = 24 * 60 * 60 * 1000;

interface SharedFileRecord {
  /** Given by the store, in the order the files arrived. */
  id?: number;
  name: string;
  type: string;
  lastModified: number;
  blob: Blob;
  receivedAt: number;
}

/** What the inbox shows of a waiting file, for the user to decide on it. */
export interface SharedFile {
  id: number;
  name: string;
  type: string;
  size: number;
  receivedAt: number;
}

/** The records still within their lifetime; the others are deleted in the same transaction. */
async function unexpiredRecords(store: IDBObjectStore): Promise<SharedFileRecord[]> {
  const records = (await resultOf(store.getAll())) as SharedFileRecord[];
  const oldest = Date.now() - SHARE_LIFETIME_MS;
  const expired = records.filter((record) => record.receivedAt < oldest);
  await Promise.all(expired.map((record) => resultOf(store.delete(record.id!))));
  return records.filter((record) => record.receivedAt >= oldest);
}

/** Keeps the files of one share; all of them or, if the device refuses (quota), none. */
export function storeSharedFiles(files: readonly File[]): Promise<void> {
  const receivedAt = Date.now();
  return inTransaction(INBOX, 'readwrite', async (store) => {
    await unexpiredRecords(store);
    const records = files.map((file): SharedFileRecord => ({
      name: file.name,
      type: file.type,
      lastModified: file.lastModified,
      blob: file,
      receivedAt,
    }));
    await Promise.all(records.map((record) => resultOf(store.add(record))));
  });
}

/** The files waiting, oldest first. */
export function listSharedFiles(): Promise<SharedFile[]> {
  return inTransaction(INBOX, 'readwrite', async (store) =>
    (await unexpiredRecords(store)).map(({ id, name, type, blob, receivedAt }) => ({
      id: id!,
      name,
      type,
      size: blob.size,
      receivedAt,
    })),
  );
}

/** One waiting file, left in the inbox: the caller discards it once its upload has started. */
export function readSharedFile(id: number): Promise<File> {
  return inTransaction(INBOX, 'readonly', async (store) => {
    const record = (await resultOf(store.get(id))) as SharedFileRecord | undefined;
    if (!record) throw new Error('This shared file is no longer waiting: it was discarded or has expired.');
    return new File([record.blob], record.name, { type: record.type, lastModified: record.lastModified });
  });
}

export function discardSharedFile(id: number): Promise<void> {
  return inTransaction(INBOX, 'readwrite', async (store) => {
    await resultOf(store.delete(id));
  });
}

/** Empties the inbox: every file waiting, whoever shared it. */
export function clearSharedFiles(): Promise<void> {
  return inTransaction(INBOX, 'readwrite', async (store) => {
    await resultOf(store.clear());
  });
}
