/**
 * Files shared to Coffer from the system share sheet, waiting on this device for the file manager to encrypt and upload
 * them. The service worker receives a share (a POST to /share-target) when no page, and so no key, may exist yet: it
 * keeps the files here, in IndexedDB, in plaintext that never leaves the device in that form. The app takes them
 * (reads and deletes them at once) when it can encrypt them. The service worker and the app both use this module.
 */
const DATABASE = 'coffer-shared-inbox';
const STORE = 'files';

interface SharedFileRecord {
  /** Given by the store, in the order the files arrived. */
  id?: number;
  name: string;
  type: string;
  lastModified: number;
  blob: Blob;
  receivedAt: number;
}

function resultOf<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openInbox(): Promise<IDBDatabase> {
  const opening = indexedDB.open(DATABASE, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
  return resultOf(opening);
}

/** Runs `work` in one transaction on the store; resolves with its result once the transaction has committed. */
async function inTransaction<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => Promise<T>): Promise<T> {
  const database = await openInbox();
  try {
    const transaction = database.transaction(STORE, mode);
    const committed = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new DOMException('transaction aborted', 'AbortError'));
    });
    const [result] = await Promise.all([work(transaction.objectStore(STORE)), committed]);
    return result;
  } finally {
    database.close();
  }
}

/** Keeps the files of one share; all of them or, if the device refuses (quota), none. */
export function storeSharedFiles(files: readonly File[]): Promise<void> {
  const receivedAt = Date.now();
  return inTransaction('readwrite', async (store) => {
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

/** The files shared so far, oldest first, removed from the inbox in the same transaction. */
export function takeSharedFiles(): Promise<File[]> {
  return inTransaction('readwrite', async (store) => {
    const records = (await resultOf(store.getAll())) as SharedFileRecord[];
    await resultOf(store.clear());
    return records.map(
      (record) => new File([record.blob], record.name, { type: record.type, lastModified: record.lastModified }),
    );
  });
}

export function countSharedFiles(): Promise<number> {
  return inTransaction('readonly', (store) => resultOf(store.count()));
}
