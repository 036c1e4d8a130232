/**
 * `coffer backup DEST`: the dump from the running server (or the database opened here), then the snapshot written as
 * the server's scheduled backups write theirs (server/backup/write-snapshot.ts), with progress on a terminal.
 */
import { openBlobStore } from '../../server/blobs/open-blob-store.ts';
import { openBackupPlace } from '../../server/backup/location.ts';
import { writeSnapshot, type BackupSummary } from '../../server/backup/write-snapshot.ts';
import type { Config } from '../../server/config.ts';
import { Progress } from '../progress.ts';
import { takeDump } from './snapshot.ts';

export async function backup(
  config: Config,
  dest: string,
  env: Record<string, string | undefined>,
  quiet: boolean,
): Promise<BackupSummary> {
  const place = await openBackupPlace(dest, env);
  try {
    const { dump, kind } = await takeDump(config);
    const blobs = await openBlobStore(config.blobs);
    try {
      return await writeSnapshot(place, { dump, kind, blobs }, (total) => new Progress('copying blobs', total, quiet));
    } finally {
      await blobs.close();
    }
  } finally {
    await place.store.close();
  }
}
