/**
 * Where ciphertext lives. The server never interprets these bytes; it only stores them and hands them back. Two
 * drivers implement this contract (local filesystem and S3-compatible), and one test suite runs against both.
 */

/** A byte range: `start` inclusive, `end` exclusive, both within the object. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobInfo {
  size: number;
}

export interface PutOptions {
  /**
   * false: the object may be lost (never half-written) if the machine loses power before makeDurable() covers it.
   * Lets a caller that publishes many objects at once pay for durability once, when it publishes them.
   */
  durable?: boolean;
}

export interface BlobStore {
  /** 'fs' or 's3', for logs and health. */
  readonly kind: string;

  /**
   * Stores exactly `size` bytes under `key`, replacing any object there. Atomic: a reader sees either the previous
   * object (or none) or the complete new one, never part of it, even if the process dies mid-write. Rejects with
   * BlobSizeError if the body's length differs from `size` (and stores nothing).
   */
  put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, size: number, options?: PutOptions): Promise<void>;

  /**
   * Makes objects put with `durable: false` survive power loss, and returns the keys of those that are not there at
   * the given size (lost before they were made durable). A no-op returning none where every put is durable already.
   */
  makeDurable(objects: { key: string; size: number }[]): Promise<string[]>;

  /** The object's bytes, or a range of them, streamed with backpressure; undefined if there is no such object. */
  get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array> | undefined>;

  /** Size of the object, or undefined if there is none. */
  stat(key: string): Promise<BlobInfo | undefined>;

  /** Removes the object; no error if there is none. */
  delete(key: string): Promise<void>;

  /** Keys that start with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<string>;

  /** Resolves when the store answers and its place exists (readiness checks); rejects with why otherwise. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

export class BlobSizeError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`blob body is ${received} bytes, ${expected} were declared`);
  }
}

/** The store's service did not answer, or answered that it failed: a condition that passes, not a refusal. */
export class BlobStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the blob store is unavailable: ${(cause as Error).message}`, { cause });
  }
}

/** Keys are paths of lower-case letters, digits, '-', '_' and '.', separated by '/', never '..' or empty segments. */
const KEY = /^(?:[a-z0-9_-][a-z0-9._-]*)(?:\/[a-z0-9_-][a-z0-9._-]*)*$/;

export function checkBlobKey(key: string): string {
  if (!KEY.test(key) || key.length > 512) throw new TypeError(`invalid blob key: ${JSON.stringify(key)}`);
  return key;
}

export async function deletePrefix(store: BlobStore, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const key of store.list(prefix)) {
    await store.delete(key);
    deleted++;
  }
  return deleted;
}
