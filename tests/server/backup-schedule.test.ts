/** When scheduled backups are due (server/backup/schedule.ts): fixed instants every process computes alike. */
import { describe, expect, it } from 'vitest';
import { dueAtOrBefore, nextDueAfter, parseBackupSchedule } from '../../server/backup/schedule.ts';

const at = (text: string) => new Date(text);

describe('backup schedule', () => {
  it('is due daily at an HH:MM time, UTC', () => {
    const schedule = parseBackupSchedule('03:00')!;
    expect(dueAtOrBefore(schedule, at('2026-06-01T12:00:00Z'))).toEqual(at('2026-06-01T03:00:00Z'));
    expect(dueAtOrBefore(schedule, at('2026-06-01T02:59:59Z'))).toEqual(at('2026-05-31T03:00:00Z'));
    expect(dueAtOrBefore(schedule, at('2026-06-01T03:00:00Z'))).toEqual(at('2026-06-01T03:00:00Z'));
    expect(nextDueAfter(schedule, at('2026-06-01T03:00:00Z'))).toEqual(at('2026-06-02T03:00:00Z'));
  });

  it('is due at whole multiples of an interval since the epoch', () => {
    const sixHours = parseBackupSchedule('6h')!;
    expect(dueAtOrBefore(sixHours, at('2026-06-01T13:45:00Z'))).toEqual(at('2026-06-01T12:00:00Z'));
    expect(nextDueAfter(sixHours, at('2026-06-01T13:45:00Z'))).toEqual(at('2026-06-01T18:00:00Z'));
    const halfHour = parseBackupSchedule('30m')!;
    expect(nextDueAfter(halfHour, at('2026-06-01T13:45:00Z'))).toEqual(at('2026-06-01T14:00:00Z'));
  });

  it('refuses anything else', () => {
    for (const text of ['3:00', '03:60', '24:00', '0m', '169h', '1d', '6 h', '06h30']) {
      expect(parseBackupSchedule(text), text).toBeUndefined();
    }
    expect(parseBackupSchedule('168h')?.periodMs).toBe(7 * 24 * 60 * 60 * 1000);
  });
});
