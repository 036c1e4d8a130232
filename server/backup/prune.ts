/**
 * BACKUP_KEEP: the newest snapshots in a backup place are kept, older ones removed, and then every blob that no kept
 * snapshot's manifest names (snapshots share blobs, so a blob goes only when the last snapshot holding it does). A
 * snapshot's manifest goes first: from then on it is no snapshot, even if the removal of the rest is cut short.
 */
import { deletePrefix, type BlobStore } from '../blobs/blob-store.ts';
import type { BackupPlace } from './location.ts';
import { backupBlobKey, earlierManifests, snapshotKey, type Manifest } from './manifest.ts';

export interface Pruned {
  /** The snapshots left, newest first. */
  kept: string[];
  removedSnapshots: string[];
  removedBlobs: number;
}

export async function pruneSnapshots({ store }: BackupPlace, keep: number): Promise<Pruned> {
  const manifests = (await earlierManifests(store)).sort(newestFirst);
  const kept = manifests.slice(0, keep);
  const removed = manifests.slice(keep);
  for (const { id } of removed) await removeSnapshot(store, id);
  const referenced = new Set(kept.flatMap((manifest) => manifest.blobs.map((blob) => backupBlobKey(blob.key))));
  let removedBlobs = 0;
  for await (const key of store.list('blobs/')) {
    if (referenced.has(key)) continue;
    await store.delete(key);
    removedBlobs++;
  }
  return { kept: kept.map(({ id }) => id), removedSnapshots: removed.map(({ id }) => id), removedBlobs };
}

/** A snapshot's manifest, then the rest of its folder; the blobs it named stay for pruning to weigh. */
export async function removeSnapshot(store: BlobStore, id: string): Promise<void> {
  await store.delete(snapshotKey(id, 'manifest.json'));
  await deletePrefix(store, `snapshots/${id}/`);
}

/** By creation time; within one second by the number a snapshot id gets after the first (`...z-2` before `...z-10`). */
function newestFirst(a: Manifest, b: Manifest): number {
  const order = (manifest: Manifest) => [Date.parse(manifest.createdAt), Number(/-(\d+)$/.exec(manifest.id)?.[1] ?? 0)];
  const [aTime = 0, aNumber = 0] = order(a);
  const [bTime = 0, bNumber = 0] = order(b);
  return bTime - aTime || bNumber - aNumber;
}
