/**
 * `coffer restore SNAPSHOT`: fills the configured instance (its database and blob store, either kind of each) from a
 * snapshot. Everything read is checked against the manifest first. The blobs go in before the rows that point at
 * them, and the rows in one transaction: an interrupted restore leaves no row without its blob. An instance that
 * holds accounts or blobs is refused unless told (--force), which empties it first.
 */
import { sql } from 'drizzle-orm';
import { deletePrefix } from '../../server/blobs/blob-store.ts';
import { openBlobStore } from '../../server/blobs/open-blob-store.ts';
import type { Config } from '../../server/config.ts';
import { openDatabase, type Database } from '../../server/db/database.ts';
import { prepareDataDirs } from '../../server/storage/data-dirs.ts';
import { DUMPED_TABLES_CHILDREN_FIRST, NOT_DUMPED_TABLES } from '../../server/ops/database-dump.ts';
import { BackupError } from '../../server/backup/backup-error.ts';
import { copyBlob } from '../../server/backup/copy.ts';
import { openSnapshotPlace } from '../../server/backup/location.ts';
import { backupBlobKey, readManifest, readObject, snapshotKey } from '../../server/backup/manifest.ts';
import { Progress } from '../progress.ts';
import { serverIsRunning } from './snapshot.ts';
import { dumpProblems } from './verify.ts';

/** Tables a dump leaves out, emptied too when a restore replaces an instance. */
export interface RestoreSummary {
  snapshot: string;
  accounts: number;
  blobs: number;
  bytes: number;
}

export async function restoreSnapshot(
  config: Config,
  snapshot: string,
  env: Record<string, string | undefined>,
  { force, quiet }: { force: boolean; quiet: boolean },
): Promise<RestoreSummary> {
  if (await serverIsRunning(config)) {
    throw new BackupError('a Coffer server is running on this DATA_DIR; stop it before restoring into it');
  }
  const place = await openSnapshotPlace(snapshot, env);
  try {
    const manifest = await readManifest(place.store, place.id, place.name);
    const dump = await readObject(place.store, snapshotKey(place.id, 'dump.sql'));
    if (!dump) throw new BackupError(`${place.name} has no dump.sql`);
    const problems = dumpProblems(dump, manifest.dump);
    if (problems.length > 0) throw new BackupError(`${place.name}: ${problems.join('; ')}`);
    prepareDataDirs(config);
    const database = await openDatabase(config.database);
    const blobs = await openBlobStore(config.blobs);
    try {
      const migrations = await count(database.db, 'select count(*)::int as n from drizzle.__drizzle_migrations');
      if (migrations !== manifest.migrations) {
        throw new BackupError(
          `the snapshot is of a database after ${manifest.migrations} migrations, this Coffer has ${migrations}: ` +
            'restore with the Coffer version that took it, then upgrade',
        );
      }
      const accounts = await count(database.db, 'select count(*)::int as n from users');
      const hasBlobs = !(await blobs.list('revisions/')[Symbol.asyncIterator]().next()).done;
      if ((accounts > 0 || hasBlobs) && !force) {
        throw new BackupError(
          `this instance is not empty (${accounts} account(s)${hasBlobs ? ', blobs in its store' : ''}); ` +
            'restore into an empty one, or pass --force to replace everything in it',
        );
      }
      if (hasBlobs) await deletePrefix(blobs, 'revisions/');
      const bytes = manifest.blobs.reduce((total, blob) => total + blob.size, 0);
      const progress = new Progress('restoring blobs', bytes, quiet);
      try {
        for (const blob of manifest.blobs) {
          const copied = await copyBlob(
            { store: place.store, key: backupBlobKey(blob.key) },
            { store: blobs, key: blob.key },
            blob.size,
            progress,
          );
          if (copied.sha256 !== blob.sha256) {
            await blobs.delete(blob.key);
            throw new BackupError(`blob ${blob.key} in ${place.name} does not match its manifest; restore stopped`);
          }
        }
      } finally {
        progress.finish();
      }
      await database.db.transaction(async (tx) => {
        for (const table of [...DUMPED_TABLES_CHILDREN_FIRST, ...NOT_DUMPED_TABLES]) {
          await tx.execute(sql.raw(`delete from ${table}`));
        }
        for (const line of new TextDecoder().decode(dump).split('\n')) {
          if (line !== '' && !line.startsWith('--')) await tx.execute(sql.raw(line));
        }
      });
      return {
        snapshot: place.name,
        accounts: await count(database.db, 'select count(*)::int as n from users'),
        blobs: manifest.blobs.length,
        bytes,
      };
    } finally {
      await Promise.allSettled([database.close(), blobs.close()]);
    }
  } finally {
    await place.store.close();
  }
}

async function count(db: Database, query: string): Promise<number> {
  const result = (await db.execute(sql.raw(query))) as unknown as { n: number }[] | { rows: { n: number }[] };
  return (Array.isArray(result) ? result : result.rows)[0]!.n;
}
