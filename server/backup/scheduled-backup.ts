/**
 * Scheduled backups by the server (BACKUP_DIR or BACKUP_BUCKET, BACKUP_SCHEDULE, BACKUP_KEEP): at each due time one
 * process claims it by inserting its row in backup_runs (unique per due time, so with several processes on one
 * database exactly one insert succeeds, on Postgres and PGlite alike), then writes a snapshot as `coffer backup` does
 * (server/backup/write-snapshot.ts), prunes to BACKUP_KEEP, and records how it ended: in its row (for /metrics and the
 * admin screen), in the audit log, and, when it failed, in the error log. A due time missed while no server ran is
 * caught up once at the next start. While it runs, the process refreshes its row's heartbeat; a running row whose
 * heartbeat stopped was left by a process that died, and the next run records it as failed instead of waiting on it.
 * A process that was only stalled finds its row so recorded at its next beat or when it records the end, and gives
 * the run up: it writes nothing more, removes the snapshot it was writing and leaves the row as the other process set it.
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
import { pruneSnapshots, removeSnapshot } from './prune.ts';
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
  | { status: 'succeeded'; snapshot: string; sizeBytes: number; pruned: string[] }
  | { status: 'failed'; error: string }
  | { status: 'taken-over'; error: string };

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

const TAKEN_OVER: Extract<BackupOutcome, { status: 'taken-over' }> = {
  status: 'taken-over',
  error:
    'another process recorded this backup as stopped, its heartbeat having stopped: it was given up, ' +
    'and the snapshot it was writing removed',
};

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
  const takeover = new AbortController();
  const heartbeat = setInterval(() => void beat(deps, id, takeover), HEARTBEAT_EVERY_MS);
  heartbeat.unref();
  let outcome: BackupOutcome;
  try {
    outcome = await backUp(deps, id, startedAt, takeover);
  } finally {
    clearInterval(heartbeat);
  }
  if (outcome.status === 'taken-over') return reportTakenOver(deps);
  const durationMs = Math.round(performance.now() - started);
  const finishedAt = now();
  // Only over the row this run still holds: another process may have recorded it as stopped meanwhile.
  const stillRunning = and(eq(backupRuns.id, id), eq(backupRuns.status, 'running'));
  if (outcome.status === 'succeeded') {
    const recorded = await db
      .update(backupRuns)
      .set({
        status: 'succeeded',
        finishedAt,
        durationMs,
        snapshot: outcome.snapshot,
        sizeBytes: outcome.sizeBytes,
        keptSnapshots: outcome.pruned,
      })
      .where(stillRunning)
      .returning({ id: backupRuns.id });
    if (recorded.length === 0) {
      await removeSnapshotOf(deps, outcome.snapshot);
      return reportTakenOver(deps);
    }
    await audit(db, {
      type: 'backup-succeeded',
      userId: null,
      origin: SCHEDULER_ORIGIN,
      at: finishedAt,
      details: { snapshot: outcome.snapshot, sizeBytes: outcome.sizeBytes, durationMs, pruned: outcome.pruned.length },
    });
    deps.logger.info({ snapshot: outcome.snapshot, sizeBytes: outcome.sizeBytes, durationMs }, 'scheduled backup done');
  } else {
    const recorded = await db
      .update(backupRuns)
      .set({ status: 'failed', finishedAt, durationMs, error: outcome.error })
      .where(stillRunning)
      .returning({ id: backupRuns.id });
    if (recorded.length === 0) return reportTakenOver(deps);
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

/**
 * Tells other processes this run is alive, and aborts `takeover` when its row is no longer running: another process
 * recorded it as stopped. A beat that fails is logged, and the next one tries again.
 */
async function beat(deps: ScheduledBackupDeps, id: string, takeover: AbortController): Promise<void> {
  try {
    const beaten = await deps.db
      .update(backupRuns)
      .set({ heartbeatAt: deps.now() })
      .where(and(eq(backupRuns.id, id), eq(backupRuns.status, 'running')))
      .returning({ id: backupRuns.id });
    if (beaten.length === 0 && !takeover.signal.aborted) {
      deps.logger.warn('scheduled backup: another process recorded this run as stopped; it is given up');
      takeover.abort();
    }
  } catch (error) {
    deps.logger.warn({ err: error }, 'scheduled backup: its heartbeat could not be written');
  }
}

function reportTakenOver(deps: ScheduledBackupDeps): BackupOutcome {
  deps.logger.error({ destination: deps.backup.name, error: TAKEN_OVER.error }, 'scheduled backup FAILED');
  return TAKEN_OVER;
}

/** The snapshot of a run found taken over once it had finished writing it. */
async function removeSnapshotOf(deps: ScheduledBackupDeps, snapshot: string): Promise<void> {
  const place = await openBackupTarget(deps.backup.target);
  try {
    await removeSnapshot(place.store, snapshot);
  } finally {
    await place.store.close();
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

async function backUp(
  deps: ScheduledBackupDeps,
  id: string,
  startedAt: Date,
  takeover: AbortController,
): Promise<BackupOutcome> {
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
      const source = { dump, kind: deps.databaseKind, blobs: deps.blobs };
      const summary = await writeSnapshot(place, source, () => SILENT, takeover.signal);
      // Pruning deletes what other snapshots do not name, which a run that took this one over may be writing: one
      // more beat first, so that a run given up since the last one does not prune.
      await beat(deps, id, takeover);
      if (takeover.signal.aborted) {
        await removeSnapshot(place.store, summary.id);
        return TAKEN_OVER;
      }
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
    // writeSnapshot removed what it had written of the snapshot.
    if (takeover.signal.aborted) return TAKEN_OVER;
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
