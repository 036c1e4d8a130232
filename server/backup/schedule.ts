/**
 * When scheduled backups are due (BACKUP_SCHEDULE). Two forms:
 * - `HH:MM`: every day at that time, UTC (`03:00`);
 * - an interval, `N` minutes or hours (`30m`, `6h`, `24h`), due at whole multiples of it since the Unix epoch, so
 *   `6h` is due at 00:00, 06:00, 12:00 and 18:00 UTC.
 * Either way the due times are fixed instants that every server process computes alike: a process that claims one in
 * the database (server/backup/scheduled-backup.ts) is the only one that runs it.
 */
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Longest interval: a week; a longer one is better said as a daily time and a larger BACKUP_KEEP. */
const MAX_INTERVAL_MS = 7 * DAY;

export interface BackupSchedule {
  /** As configured, for the admin screen. */
  text: string;
  periodMs: number;
  /** Where due times fall within each period, from the epoch. */
  offsetMs: number;
}

/** The schedule, or undefined when the text is neither form. */
export function parseBackupSchedule(text: string): BackupSchedule | undefined {
  const daily = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (daily) return { text, periodMs: DAY, offsetMs: (Number(daily[1]) * 60 + Number(daily[2])) * MINUTE };
  const interval = /^([1-9]\d{0,5})([mh])$/.exec(text);
  if (!interval) return undefined;
  const periodMs = Number(interval[1]) * (interval[2] === 'h' ? 60 : 1) * MINUTE;
  return periodMs <= MAX_INTERVAL_MS ? { text, periodMs, offsetMs: 0 } : undefined;
}

export const BACKUP_SCHEDULE_FORMS = 'a daily UTC time like 03:00, or an interval like 30m or 24h (at most 168h)';

/** The latest due time at or before `now`: the one a backup should have run for. */
export function dueAtOrBefore(schedule: BackupSchedule, now: Date): Date {
  const periods = Math.floor((now.getTime() - schedule.offsetMs) / schedule.periodMs);
  return new Date(periods * schedule.periodMs + schedule.offsetMs);
}

/** The first due time after `now`. */
export function nextDueAfter(schedule: BackupSchedule, now: Date): Date {
  return new Date(dueAtOrBefore(schedule, now).getTime() + schedule.periodMs);
}
