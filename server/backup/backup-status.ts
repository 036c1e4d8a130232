/** What the admin screen and /metrics tell of the scheduled backups, from backup_runs: the same on every process. */
import { desc, eq } from 'drizzle-orm';
import type { AdminBackupsResponse, BackupRunRecord } from '../../shared/api/responses.ts';
import type { BackupConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { backupRuns } from '../db/schema.ts';
import { nextDueAfter } from './schedule.ts';

type Run = typeof backupRuns.$inferSelect;

export interface LatestRuns {
  lastRun: Run | undefined;
  lastSuccess: Run | undefined;
  lastFailure: Run | undefined;
}

export async function latestRuns(db: Database): Promise<LatestRuns> {
  const [lastRun] = await db.select().from(backupRuns).orderBy(desc(backupRuns.startedAt)).limit(1);
  const lastWith = async (status: 'succeeded' | 'failed') =>
    (
      await db
        .select()
        .from(backupRuns)
        .where(eq(backupRuns.status, status))
        .orderBy(desc(backupRuns.finishedAt))
        .limit(1)
    )[0];
  return { lastRun, lastSuccess: await lastWith('succeeded'), lastFailure: await lastWith('failed') };
}

export async function backupStatus(
  db: Database,
  backup: BackupConfig | undefined,
  now: Date,
): Promise<AdminBackupsResponse> {
  const { lastRun, lastSuccess, lastFailure } = await latestRuns(db);
  return {
    schedule: backup
      ? {
          destination: backup.name,
          schedule: backup.schedule.text,
          keep: backup.keep,
          nextAt: nextDueAfter(backup.schedule, now).toISOString(),
        }
      : null,
    lastRun: record(lastRun),
    lastSuccess: record(lastSuccess),
    lastFailure: record(lastFailure),
    keptSnapshots: lastSuccess?.keptSnapshots ?? [],
  };
}

function record(run: Run | undefined): BackupRunRecord | null {
  if (!run) return null;
  return {
    dueAt: run.dueAt.toISOString(),
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    status: run.status,
    snapshot: run.snapshot,
    sizeBytes: run.sizeBytes,
    durationMs: run.durationMs,
    error: run.error,
  };
}
