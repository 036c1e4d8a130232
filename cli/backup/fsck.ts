/**
 * `coffer fsck`: compares the blob store with the database. It finds
 * - orphaned blobs: of revisions no row names (a crash between a purge's transaction and its blob deletion leaves
 *   these), or of a complete revision but none of its segments (a crash before completion dropped the spare ones);
 * - missing blobs: a complete revision's segment or thumbnail absent, or of the wrong size;
 * - half-written uploads: unfinished uploads past their expiry, which the server collects at start and every hour.
 * With --repair it deletes the orphans and discards the half-written uploads; a missing blob cannot be made again.
 * The store is listed before the database is read: a revision's row is committed before any of its blobs is stored,
 * so a blob listed then is never taken for an orphan because its upload began meanwhile.
 */
import { sql } from 'drizzle-orm';
import { openBlobStore } from '../../server/blobs/open-blob-store.ts';
import type { Config } from '../../server/config.ts';
import { openDatabase, type Database } from '../../server/db/database.ts';
import { KEPT_REVISIONS, referencedBlobs } from '../../server/ops/database-dump.ts';
import { discardUpload } from '../../server/uploads/discard-upload.ts';
import { BackupError } from '../../server/backup/backup-error.ts';
import { serverIsRunning } from './snapshot.ts';

export interface FsckReport {
  blobs: number;
  orphanBlobs: string[];
  missingBlobs: string[];
  /** Revision ids of unfinished uploads past their expiry. */
  halfWrittenUploads: string[];
  repaired: boolean;
}

export async function fsck(config: Config, { repair }: { repair: boolean }): Promise<FsckReport> {
  if (await serverIsRunning(config)) {
    throw new BackupError('a Coffer server holds the embedded database on this DATA_DIR; stop it before coffer fsck');
  }
  const database = await openDatabase(config.database);
  const blobs = await openBlobStore(config.blobs);
  try {
    const stored = new Set<string>();
    for await (const key of blobs.list('revisions/')) stored.add(key);
    const revisions = new Map(
      (
        await rows<{ id: string; complete: boolean }>(
          database.db,
          `select id, id in (${KEPT_REVISIONS}) as complete from revisions`,
        )
      ).map((row) => [row.id, row.complete]),
    );
    const referenced = await referencedBlobs(database.db);
    const wanted = new Set(referenced.map((blob) => blob.key));
    const orphanBlobs = [...stored].filter((key) => {
      const complete = revisions.get(key.split('/')[1]!);
      // A thumbnail is stored before its row commits (server/revisions/thumbnails.ts): one not yet counted is no orphan.
      return complete === undefined || (complete && !wanted.has(key) && !key.endsWith('/thumbnail'));
    });
    const missingBlobs: string[] = [];
    for (const blob of referenced) {
      const found = stored.has(blob.key) ? await blobs.stat(blob.key) : undefined;
      if (found?.size !== blob.size) missingBlobs.push(blob.key);
    }
    const halfWrittenUploads = (
      await rows<{ id: string }>(
        database.db,
        // A revision still being written belongs to an upload or a stranger's request upload; it is half-written
        // once neither holds it any more.
        `select r.id from revisions r left join uploads u on u.revision_id = r.id
          left join request_uploads q on q.revision_id = r.id
          where r.id not in (${KEPT_REVISIONS}) and (u.id is null or u.expires_at < now())
            and (q.id is null or q.expires_at < now())`,
      )
    ).map((row) => row.id);
    if (repair) {
      for (const key of orphanBlobs) await blobs.delete(key);
      for (const revisionId of halfWrittenUploads) await discardUpload({ db: database.db, blobs }, revisionId);
    }
    return { blobs: stored.size, orphanBlobs, missingBlobs, halfWrittenUploads, repaired: repair };
  } finally {
    await Promise.allSettled([database.close(), blobs.close()]);
  }
}

async function rows<T>(db: Database, query: string): Promise<T[]> {
  const result = (await db.execute(sql.raw(query))) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
