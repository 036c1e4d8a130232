/**
 * Scheduled backups by the server (BACKUP_DIR or BACKUP_BUCKET, BACKUP_SCHEDULE, BACKUP_KEEP): at each due time one
 * process claims it by inserting its row in backup_runs (unique per due time, so with several processes on one
 * database exactly one insert succeeds, on Postgres and PGlite alike), then writes a snapshot as `coffer backup` does
 * (server/backup/write-snapshot.ts), prunes to BACKUP_KEEP, and records how it ended: in its row (for /metrics and the
 * admin screen), in the audit log, and, when it failed, in the error log. A due time missed while no server ran is
 * caught up once at the next start. While it runs, the process refreshes its row's heartbeat; a running row whose
 * heartbeat stopped was left by a process that died, and the next run records it as failed instead of waiting on it.
 */
import { and, eq, gt, lte, ne } from 'drizzle-orm';
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

/**
 * How often a running backup refreshes its heartbeat: one small update a minute costs the database nothing, and keeps
 * the wait after a crash to minutes.
 */
const HEARTBEAT_EVERY_MS = 60 * 1000;

/**
 * A running row whose heartbeat is older than this was left by a process that stopped. Several missed beats, not one,
 * so that a slow database or a busy process is not taken for a dead one: a second backup into the same place while
 * the first still runs could prune blobs the first is about to name in its manifest.
 */
const STALE_AFTER_MS = 5 * HEARTBEAT_EVERY_MS;

const STOPPED_ERROR = 'the server process that ran this backup stopped before it finished';

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
    .values({ id, dueAt, startedAt, heartbeatAt: startedAt, status: 'running' })
    .onConflictDoNothing({ target: backupRuns.dueAt })
    .returning({ id: backupRuns.id });
  if (claimed.length === 0) return undefined;
  const started = performance.now();
  const heartbeat = setInterval(() => void beat(deps, id), HEARTBEAT_EVERY_MS);
  heartbeat.unref();
  let outcome: BackupOutcome;
  try {
    outcome = await backUp(deps, id, startedAt);
  } finally {
    clearInterval(heartbeat);
  }
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

/** Tells other processes this run is alive; a beat that fails is logged, and the next one tries again. */
async function beat(deps: ScheduledBackupDeps, id: string): Promise<void> {
  try {
    await deps.db
      .update(backupRuns)
      .set({ heartbeatAt: deps.now() })
      .where(and(eq(backupRuns.id, id), eq(backupRuns.status, 'running')));
  } catch (error) {
    deps.logger.warn({ err: error }, 'scheduled backup: its heartbeat could not be written');
  }
}

/** Records as failed the running rows whose heartbeat stopped, each once even when several processes look at once. */
async function failStoppedRuns(deps: ScheduledBackupDeps, id: string, at: Date): Promise<void> {
  const stopped = await deps.db
    .update(backupRuns)
    .set({ status: 'failed', finishedAt: at, error: STOPPED_ERROR })
    .where(
      and(
        eq(backupRuns.status, 'running'),
        ne(backupRuns.id, id),
        lte(backupRuns.heartbeatAt, new Date(at.getTime() - STALE_AFTER_MS)),
      ),
    )
    .returning({ dueAt: backupRuns.dueAt, heartbeatAt: backupRuns.heartbeatAt });
  for (const run of stopped) {
    const details = { dueAt: run.dueAt.toISOString(), lastHeartbeatAt: run.heartbeatAt.toISOString() };
    await audit(deps.db, {
      type: 'backup-failed',
      userId: null,
      origin: SCHEDULER_ORIGIN,
      at,
      details: { error: STOPPED_ERROR, ...details },
    });
    deps.logger.error({ destination: deps.backup.name, error: STOPPED_ERROR, ...details }, 'scheduled backup FAILED');
  }
}

async function backUp(deps: ScheduledBackupDeps, id: string, startedAt: Date): Promise<BackupOutcome> {
  const { db, backup } = deps;
  await failStoppedRuns(deps, id, startedAt);
  // Two backups into one place at once could prune what the other is about to name in its manifest.
  const [earlier] = await db
    .select({ dueAt: backupRuns.dueAt })
    .from(backupRuns)
    .where(
      and(
        eq(backupRuns.status, 'running'),
        ne(backupRuns.id, id),
        gt(backupRuns.heartbeatAt, new Date(startedAt.getTime() - STALE_AFTER_MS)),
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
