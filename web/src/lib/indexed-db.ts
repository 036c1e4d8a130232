/**
 * The little of IndexedDB the app and its service worker use (seen-versions.ts, shared-inbox.ts): a database of one
 * object store, opened for one transaction and closed again after it.
 */

/** A database of one object store, as its module names it; both names stay fixed, as they hold users' data. */
export interface SingleStore {
  database: string;
  store: string;
  options?: IDBObjectStoreParameters;
}

export function resultOf<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase({ database, store, options }: SingleStore): Promise<IDBDatabase> {
  const opening = indexedDB.open(database, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(store, options);
  return resultOf(opening);
}

/** Runs `work` in one transaction on the store; resolves with its result once the transaction has committed. */
export async function inTransaction<T>(
  where: SingleStore,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => Promise<T>,
): Promise<T> {
  const database = await openDatabase(where);
  try {
    const transaction = database.transaction(where.store, mode);
    const committed = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new DOMException('transaction aborted', 'AbortError'));
    });
    const [result] = await Promise.all([work(transaction.objectStore(where.store)), committed]);
    return result;
  } finally {
    database.close();
  }
}
