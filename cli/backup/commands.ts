/**
 * `coffer backup DEST`, `coffer backup verify SNAPSHOT`, `coffer restore SNAPSHOT [--force]` and `coffer fsck
 * [--repair]`. They read the server's configuration (DATABASE_URL, DATA_DIR, BLOB_STORE...) as `coffer admin` does.
 * A summary goes to stdout (one JSON line with --json); progress to stderr at a terminal, unless --quiet.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../server/config.ts';
import { formatBytes } from '../../server/storage/usage.ts';
import { backup } from './backup.ts';
import { fsck } from './fsck.ts';
import { restoreSnapshot } from './restore.ts';
import { verifySnapshot } from './verify.ts';

export const BACKUP_USAGE = `  coffer backup DEST [--json] [--quiet]      snapshot the database and its blobs into DEST (a directory or s3://bucket)
  coffer backup verify SNAPSHOT [--json]     hash every blob and the dump again, against the snapshot's manifest
  coffer restore SNAPSHOT [--force] [--json] fill an empty instance from a snapshot (--force: replace a non-empty one)
  coffer fsck [--repair] [--json]            find orphaned and missing blobs and half-written uploads; repair what is safe
backup, restore and fsck read the server's configuration too; restore and fsck with the embedded database need the
server stopped, backup does not (the server dumps its database for it).`;

export class BackupUsageError extends Error {}

const OPTIONS = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  force: { type: 'boolean' },
  repair: { type: 'boolean' },
} as const;

export async function runBackupCommand(command: 'backup' | 'restore' | 'fsck', argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const env = process.env;
  const quiet = values.quiet === true;
  const print = (human: string, json: unknown): void => {
    process.stdout.write((values.json ? JSON.stringify(json) : human) + '\n');
  };
  if (command === 'backup' && positionals[0] === 'verify') {
    const snapshot = one(positionals.slice(1), 'backup verify SNAPSHOT');
    const summary = await verifySnapshot(snapshot, env, quiet);
    print(
      summary.problems.length === 0
        ? `${summary.snapshot}: the dump and ${summary.blobs} blob(s) (${formatBytes(summary.bytes)}) match the manifest`
        : summary.problems.join('\n'),
      summary,
    );
    if (summary.problems.length > 0) process.exitCode = 1;
    return;
  }
  const config = loadConfig(env);
  switch (command) {
    case 'backup': {
      const summary = await backup(config, one(positionals, 'backup DEST'), env, quiet);
      return print(
        `${summary.snapshot}: ${summary.blobs} blob(s), ${formatBytes(summary.bytes)}; copied ${summary.copiedBlobs} ` +
          `new blob(s), ${formatBytes(summary.copiedBytes)}`,
        summary,
      );
    }
    case 'restore': {
      const summary = await restoreSnapshot(config, one(positionals, 'restore SNAPSHOT [--force]'), env, {
        force: values.force === true,
        quiet,
      });
      return print(
        `restored ${summary.snapshot}: ${summary.accounts} account(s), ${summary.blobs} blob(s), ${formatBytes(summary.bytes)}`,
        summary,
      );
    }
    case 'fsck': {
      if (positionals.length > 0) throw new BackupUsageError('usage: coffer fsck [--repair] [--json]');
      const report = await fsck(config, { repair: values.repair === true });
      const found = report.orphanBlobs.length + report.missingBlobs.length + report.halfWrittenUploads.length;
      const lines = [
        `${report.blobs} blob(s) checked: ${report.orphanBlobs.length} orphaned, ${report.missingBlobs.length} missing, ` +
          `${report.halfWrittenUploads.length} half-written upload(s)${report.repaired ? '; repaired what is safe' : ''}`,
        ...report.orphanBlobs.map((key) => `orphaned: ${key}${report.repaired ? ' (deleted)' : ''}`),
        ...report.missingBlobs.map((key) => `missing: ${key}`),
        ...report.halfWrittenUploads.map(
          (id) => `half-written upload: revision ${id}${report.repaired ? ' (discarded)' : ''}`,
        ),
      ];
      print(lines.join('\n'), report);
      // What --repair fixed is no longer wrong; a missing blob stays wrong.
      if (report.missingBlobs.length > 0 || (found > 0 && !report.repaired)) process.exitCode = 1;
      return;
    }
  }
}

function one(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new BackupUsageError(`usage: coffer ${usage}`);
  return positionals[0]!;
}
