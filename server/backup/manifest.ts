/**
 * A snapshot's manifest: which database it came from, at which migration, and the SHA-256 and size of its dump and
 * of every blob it holds. Restore and verify trust nothing in a snapshot that does not match it.
 */
import { createHash } from 'node:crypto';
import type { BlobStore } from '../blobs/blob-store.ts';
import { BackupError } from './backup-error.ts';

export interface ManifestBlob {
  key: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: 1;
  id: string;
  createdAt: string;
  database: 'pglite' | 'postgres';
  migrations: number;
  dump: { size: number; sha256: string };
  blobs: ManifestBlob[];
}

export const snapshotKey = (id: string, name: 'dump.sql' | 'manifest.json') => `snapshots/${id}/${name}`;
/** Where a blob of the instance is kept in the backup. */
export const backupBlobKey = (key: string) => `blobs/${key}`;

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export async function readObject(store: BlobStore, key: string): Promise<Uint8Array | undefined> {
  const stream = await store.get(key);
  if (!stream) return undefined;
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function writeObject(store: BlobStore, key: string, bytes: Uint8Array): Promise<void> {
  await store.put(key, bytes, bytes.length);
}

export async function readManifest(store: BlobStore, id: string, where: string): Promise<Manifest> {
  const bytes = await readObject(store, snapshotKey(id, 'manifest.json'));
  if (!bytes) throw new BackupError(`${where} has no manifest.json: not a snapshot, or one cut short`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  } catch {
    throw new BackupError(`the manifest of ${where} is not JSON`);
  }
  if (manifest.format !== 1 || !Array.isArray(manifest.blobs) || typeof manifest.dump?.sha256 !== 'string') {
    throw new BackupError(`the manifest of ${where} is not a Coffer manifest of format 1`);
  }
  return manifest;
}

/** Every manifest in the place: what earlier snapshots hold already. */
export async function earlierManifests(store: BlobStore): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  for await (const key of store.list('snapshots/')) {
    const id = /^snapshots\/([^/]+)\/manifest\.json$/.exec(key)?.[1];
    if (id) manifests.push(await readManifest(store, id, key));
  }
  return manifests;
}
