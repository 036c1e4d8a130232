/** Copies one blob between stores, hashing it on the way: the hash a manifest records or a restore checks. */
import { createHash } from 'node:crypto';
import type { BlobStore } from '../blobs/blob-store.ts';
import { BackupError } from './backup-error.ts';

/** Told of the bytes as they pass: the CLI's progress line, or nothing when the server backs up on its own. */
export interface ProgressSink {
  add(bytes: number): void;
}

export interface Copied {
  size: number;
  sha256: string;
}

export async function copyBlob(
  from: { store: BlobStore; key: string },
  to: { store: BlobStore; key: string },
  size: number,
  progress: ProgressSink,
): Promise<Copied> {
  const source = await from.store.get(from.key);
  if (!source) throw new BackupError(`blob ${from.key} is missing from its store (run "coffer fsck")`);
  const hash = createHash('sha256');
  const hashing = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hash.update(chunk);
      progress.add(chunk.length);
      controller.enqueue(chunk);
    },
  });
  await to.store.put(to.key, source.pipeThrough(hashing), size);
  return { size, sha256: hash.digest('hex') };
}

/** The SHA-256 and size of a stored blob, or undefined if there is none. */
export async function hashBlob(store: BlobStore, key: string, progress: ProgressSink): Promise<Copied | undefined> {
  const stream = await store.get(key);
  if (!stream) return undefined;
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
    progress.add(chunk.length);
  }
  return { size, sha256: hash.digest('hex') };
}
