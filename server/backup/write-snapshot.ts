/**
 * One snapshot into a backup place, for `coffer backup DEST` and the server's scheduled backups alike: the database's
 * dump (taken first, one consistent snapshot) and every blob its rows point at. Blobs never change once their revision
 * is complete, so a blob an earlier snapshot in the place holds is not copied again. The manifest is written last: a
 * snapshot without one was cut short, and nothing reads it.
 */
import type { BlobStore } from '../blobs/blob-store.ts';
import type { DatabaseDump } from '../ops/database-dump.ts';
import { copyBlob, type ProgressSink } from './copy.ts';
import type { BackupPlace } from './location.ts';
import { removeSnapshot } from './prune.ts';
import {
  backupBlobKey,
  earlierManifests,
  sha256,
  snapshotKey,
  writeObject,
  type Manifest,
  type ManifestBlob,
} from './manifest.ts';

export interface BackupSummary {
  /** Where the snapshot is, as `coffer backup verify` and `coffer restore` take it. */
  snapshot: string;
  id: string;
  blobs: number;
  bytes: number;
  dumpBytes: number;
  copiedBlobs: number;
  copiedBytes: number;
}

export interface SnapshotSource {
  dump: DatabaseDump;
  kind: 'pglite' | 'postgres';
  /** The instance's blob store, which the dump's blobs are copied from. */
  blobs: BlobStore;
}

export async function writeSnapshot(
  place: BackupPlace,
  source: SnapshotSource,
  /** Told the total to copy, before copying starts. */
  progressFor: (totalBytes: number) => ProgressSink & { finish(): void },
  /**
   * Stops the writing between blobs and before the dump and manifest, and removes the snapshot's folder: a scheduled
   * backup another process took over (scheduled-backup.ts).
   */
  signal?: AbortSignal,
): Promise<BackupSummary> {
  const id = await newSnapshotId(place.store);
  try {
    return await writeSnapshotAs(id, place, source, progressFor, signal);
  } catch (error) {
    if (signal?.aborted) await removeSnapshot(place.store, id);
    throw error;
  }
}

async function writeSnapshotAs(
  id: string,
  place: BackupPlace,
  { dump, kind, blobs: source }: SnapshotSource,
  progressFor: (totalBytes: number) => ProgressSink & { finish(): void },
  signal: AbortSignal | undefined,
): Promise<BackupSummary> {
  const held = new Map<string, ManifestBlob>();
  for (const manifest of await earlierManifests(place.store)) {
    for (const blob of manifest.blobs) held.set(blob.key, blob);
  }
  const toCopy = [];
  const blobs: ManifestBlob[] = [];
  for (const blob of dump.blobs) {
    const earlier = held.get(blob.key);
    const kept = earlier?.size === blob.size && (await place.store.stat(backupBlobKey(blob.key)))?.size === blob.size;
    if (kept) blobs.push(earlier);
    else toCopy.push(blob);
  }
  const progress = progressFor(toCopy.reduce((total, blob) => total + blob.size, 0));
  try {
    for (const blob of toCopy) {
      signal?.throwIfAborted();
      const copied = await copyBlob(
        { store: source, key: blob.key },
        { store: place.store, key: backupBlobKey(blob.key) },
        blob.size,
        progress,
      );
      blobs.push({ key: blob.key, ...copied });
    }
  } finally {
    progress.finish();
  }
  signal?.throwIfAborted();
  const dumpBytes = new TextEncoder().encode(dump.sql);
  await writeObject(place.store, snapshotKey(id, 'dump.sql'), dumpBytes);
  const manifest: Manifest = {
    format: 1,
    id,
    createdAt: new Date().toISOString(),
    database: kind,
    migrations: dump.migrations,
    dump: { size: dumpBytes.length, sha256: sha256(dumpBytes) },
    blobs: blobs.sort((a, b) => a.key.localeCompare(b.key)),
  };
  signal?.throwIfAborted();
  await writeObject(place.store, snapshotKey(id, 'manifest.json'), new TextEncoder().encode(JSON.stringify(manifest)));
  return {
    snapshot: `${place.name.replace(/\/$/, '')}/snapshots/${id}`,
    id,
    blobs: blobs.length,
    bytes: blobs.reduce((total, blob) => total + blob.size, 0),
    dumpBytes: dumpBytes.length,
    copiedBlobs: toCopy.length,
    copiedBytes: toCopy.reduce((total, blob) => total + blob.size, 0),
  };
}

/**
 * The time in UTC to the second, and after a snapshot of the same second a number above every one still kept: ids then
 * sort in the order the snapshots were made, even once pruning has freed an earlier id of that second.
 */
async function newSnapshotId(store: BlobStore): Promise<string> {
  const base = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'z')
    .replaceAll(/[-:]/g, '')
    .toLowerCase();
  const sameSecond = new RegExp(`^snapshots/${base}(?:-(\\d+))?/`);
  let highest = -1;
  for await (const key of store.list(`snapshots/${base}`)) {
    const match = sameSecond.exec(key);
    if (match) highest = Math.max(highest, Number(match[1] ?? 0));
  }
  return highest < 0 ? base : `${base}-${highest + 1}`;
}
