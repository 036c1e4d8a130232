/**
 * The scheduled backups in /metrics, read from backup_runs at each scrape: every process reports the same values,
 * whichever of them ran the backup. A timestamp is 0 until there has been such a backup. Alert on
 * `coffer_backup_last_failure_timestamp_seconds > coffer_backup_last_success_timestamp_seconds`, and on a success
 * timestamp older than the schedule allows.
 */
import { Gauge, type Registry } from 'prom-client';
import { latestRuns } from '../backup/backup-status.ts';
import type { Database } from '../db/database.ts';

export function registerBackupMetrics(registry: Registry, db: Database): void {
  const seconds = (date: Date | null | undefined) => (date ? date.getTime() / 1000 : 0);
  const gauge = (name: string, help: string, value: (runs: Awaited<ReturnType<typeof latestRuns>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(value(await latestRuns(db)));
      },
    });
  gauge(
    'coffer_backup_last_success_timestamp_seconds',
    'When the last scheduled backup that succeeded finished (Unix time; 0: none yet)',
    ({ lastSuccess }) => seconds(lastSuccess?.finishedAt),
  );
  gauge(
    'coffer_backup_last_failure_timestamp_seconds',
    'When the last scheduled backup that failed finished (Unix time; 0: none yet)',
    ({ lastFailure }) => seconds(lastFailure?.finishedAt),
  );
  gauge(
    'coffer_backup_last_duration_seconds',
    'How long the last scheduled backup that finished took, succeeded or failed',
    ({ lastSuccess, lastFailure }) => {
      const last = seconds(lastFailure?.finishedAt) > seconds(lastSuccess?.finishedAt) ? lastFailure : lastSuccess;
      return (last?.durationMs ?? 0) / 1000;
    },
  );
  gauge(
    'coffer_backup_last_size_bytes',
    "The last successful scheduled backup's snapshot: its dump and every blob it holds, shared or newly copied",
    ({ lastSuccess }) => lastSuccess?.sizeBytes ?? 0,
  );
}
