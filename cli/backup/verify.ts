/**
 * `coffer backup verify SNAPSHOT`: the dump and every blob hashed again and compared with the manifest, and the dump
 * checked whole (its first and last lines). Reports every problem, not only the first.
 */
import { DUMP_HEADER, DUMP_TRAILER } from '../../server/ops/database-dump.ts';
import { hashBlob } from '../../server/backup/copy.ts';
import { openSnapshotPlace } from '../../server/backup/location.ts';
import { backupBlobKey, readManifest, readObject, sha256, snapshotKey } from '../../server/backup/manifest.ts';
import { Progress } from '../progress.ts';

export interface VerifySummary {
  snapshot: string;
  blobs: number;
  bytes: number;
  problems: string[];
}

export async function verifySnapshot(
  snapshot: string,
  env: Record<string, string | undefined>,
  quiet: boolean,
): Promise<VerifySummary> {
  const place = await openSnapshotPlace(snapshot, env);
  try {
    const manifest = await readManifest(place.store, place.id, place.name);
    const problems: string[] = [];
    const dump = await readObject(place.store, snapshotKey(place.id, 'dump.sql'));
    if (!dump) problems.push('dump.sql is missing');
    else problems.push(...dumpProblems(dump, manifest.dump));
    const bytes = manifest.blobs.reduce((total, blob) => total + blob.size, 0);
    const progress = new Progress('verifying blobs', bytes, quiet);
    for (const blob of manifest.blobs) {
      const found = await hashBlob(place.store, backupBlobKey(blob.key), progress);
      if (!found) problems.push(`blob ${blob.key} is missing`);
      else if (found.size !== blob.size || found.sha256 !== blob.sha256) {
        problems.push(
          `blob ${blob.key} does not match the manifest: ${found.size} bytes with SHA-256 ${found.sha256}, ` +
            `expected ${blob.size} bytes with ${blob.sha256}`,
        );
      }
    }
    progress.finish();
    return { snapshot: place.name, blobs: manifest.blobs.length, bytes, problems };
  } finally {
    await place.store.close();
  }
}

export function dumpProblems(dump: Uint8Array, expected: { size: number; sha256: string }): string[] {
  const problems: string[] = [];
  const found = sha256(dump);
  if (dump.length !== expected.size || found !== expected.sha256) {
    problems.push(
      `dump.sql does not match the manifest: ${dump.length} bytes with SHA-256 ${found}, ` +
        `expected ${expected.size} bytes with ${expected.sha256}`,
    );
  }
  const lines = new TextDecoder().decode(dump).trimEnd().split('\n');
  if (lines[0] !== DUMP_HEADER || lines.at(-1) !== DUMP_TRAILER) {
    problems.push(
      'dump.sql is not a whole Coffer dump (its first or last line is not what a dump starts or ends with)',
    );
  }
  return problems;
}
