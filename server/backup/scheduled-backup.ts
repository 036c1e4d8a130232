/**
 * Scheduled backups by the server (BACKUP_DIR or BACKUP_BUCKET, BACKUP_SCHEDULE, BACKUP_KEEP): at each due time one
 * process claims it by inserting its row in backup_runs (unique per due time, so with several processes on one
 * database exactly one insert succeeds, on Postgres and PGlite alike), then writes a snapshot as `coffer backup` does
 * (server/backup/write-snapshot.ts), prunes to BACKUP_KEEP, and records how it ended: in its row (for /metrics and the
 * admin screen), in the audit log, and, when it failed, in the error log. A due time missed while no server ran is
 * caught up once at the next start.
 */
import { and, eq, gt, ne } from 'drizzle-orm';
import type { Logger } from 'pino';
import { audit } from '../auth/audit.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { BackupConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { backupRuns } from '../db/schema.ts';
import { dumpDatabase } from '../ops/database-dump.ts';
import { openBackupTarget } from './location.ts';
import { pruneSnapshots } from './prune.ts';
import { dueAtOrBefore, nextDueAfter } from './schedule.ts';
import { writeSnapshot } from './write-snapshot.ts';

export interface ScheduledBackupDeps {
  db: Database;
  databaseKind: 'pglite' | 'postgres';
  blobs: BlobStore;
  backup: BackupConfig;
  now: () => Date;
  logger: Logger;
}

export type BackupOutcome =
  { status: 'succeeded'; snapshot: string; sizeBytes: number; pruned: string[] } | { status: 'failed'; error: string };

/** A run still marked running after this long is taken for one whose process died, and no longer holds others off. */
const RUNNING_AT_MOST_MS = 24 * 60 * 60 * 1000;

/** Audit events of the server's own doing carry this in place of a request. */
const SCHEDULER_ORIGIN = { requestId: 'backup-schedule', clientAddress: 'local' };

const SILENT = { add: () => undefined, finish: () => undefined };

/** Runs the backup due now if no process has claimed it yet; undefined when another process has (or this one did). */
export async function runDueBackup(deps: ScheduledBackupDeps): Promise<BackupOutcome | undefined> {
  const { db, backup, now } = deps;
  const startedAt = now();
  const dueAt = dueAtOrBefore(backup.schedule, startedAt);
  const id = crypto.randomUUID();
  const claimed = await db
    .insert(backupRuns)
    .values({ id, dueAt, startedAt, status: 'running' })
    .onConflictDoNothing({ target: backupRuns.dueAt })
    .returning({ id: backupRuns.id });
  if (claimed.length === 0) return undefined;
  const started = performance.now();
  const outcome = await backUp(deps, id, startedAt);
  const durationMs = Math.round(performance.now() - started);
  const finishedAt = now();
  if (outcome.status === 'succeeded') {
    await db
      .update(backupRuns)
      .set({
        status: 'succeeded',
        finishedAt,
        durationMs,
        snapshot: outcome.snapshot,
        sizeBytes: outcome.sizeBytes,
        keptSnapshots: outcome.pruned,
      })
      .where(eq(backupRuns.id, id));
    await audit(db, {
      type: 'backup-succeeded',
      userId: null,
      origin: SCHEDULER_ORIGIN,
      at: finishedAt,
      details: { snapshot: outcome.snapshot, sizeBytes: outcome.sizeBytes, durationMs, pruned: outcome.pruned.length },
    });
    deps.logger.info({ snapshot: outcome.snapshot, sizeBytes: outcome.sizeBytes, durationMs }, 'scheduled backup done');
  } else {
    await db
      .update(backupRuns)
      .set({ status: 'failed', finishedAt, durationMs, error: outcome.error })
      .where(eq(backupRuns.id, id));
    await audit(db, {
      type: 'backup-failed',
      userId: null,
      origin: SCHEDULER_ORIGIN,
      at: finishedAt,
      details: { error: outcome.error, durationMs },
    });
    deps.logger.error({ destination: backup.name, error: outcome.error }, 'scheduled backup FAILED');
  }
  return outcome;
}

async function backUp(deps: ScheduledBackupDeps, id: string, startedAt: Date): Promise<BackupOutcome> {
  const { db, backup } = deps;
  // Two backups into one place at once could prune what the other is about to name in its manifest.
  const [earlier] = await db
    .select({ dueAt: backupRuns.dueAt })
    .from(backupRuns)
    .where(
      and(
        eq(backupRuns.status, 'running'),
        ne(backupRuns.id, id),
        gt(backupRuns.startedAt, new Date(startedAt.getTime() - RUNNING_AT_MOST_MS)),
      ),
    )
    .limit(1);
  if (earlier) {
    return { status: 'failed', error: `skipped: the backup due at ${earlier.dueAt.toISOString()} is still running` };
  }
  try {
    const place = await openBackupTarget(backup.target);
    try {
      const dump = await dumpDatabase(db);
      const summary = await writeSnapshot(place, { dump, kind: deps.databaseKind, blobs: deps.blobs }, () => SILENT);
      const pruned = await pruneSnapshots(place, backup.keep);
      return {
        status: 'succeeded',
        snapshot: summary.id,
        sizeBytes: summary.dumpBytes + summary.bytes,
        pruned: pruned.kept,
      };
    } finally {
      await place.store.close();
    }
  } catch (error) {
    return { status: 'failed', error: `${backup.name}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Longest single wait: timers take at most about 24 days, and a clock that jumps is noticed within the hour. */
const MAX_WAIT_MS = 60 * 60 * 1000;

/** Runs due backups from now on, until stopped; errors reaching the database are logged and tried at the next time. */
export function startBackupSchedule(deps: ScheduledBackupDeps): { stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    try {
      await runDueBackup(deps);
    } catch (error) {
      deps.logger.error({ err: error }, 'scheduled backup FAILED: its record could not be written');
    }
    if (stopped) return;
    const now = deps.now();
    const wait = Math.min(nextDueAfter(deps.backup.schedule, now).getTime() - now.getTime(), MAX_WAIT_MS);
    timer = setTimeout(() => void tick(), wait);
    timer.unref();
  };
  void tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
