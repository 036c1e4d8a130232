/**
 * CPU time from /proc, to say where the two cores went during a phase: the load generator, each server, Postgres.
 * Postgres is the machine's shared server, so its figure includes whatever else used it meanwhile; backends that
 * exited during the phase are missed (the servers' pools keep theirs open).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ on Linux: /proc/PID/stat counts in hundredths of a second. */
const TICKS_PER_SECOND = 100;

function stat(pid: number | string): { comm: string; seconds: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces; the fields after it are space-separated.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { comm: text.slice(text.indexOf('(') + 1, close), seconds: ticks / TICKS_PER_SECOND };
}

export function processCpuSeconds(pid: number): number {
  return stat(pid)?.seconds ?? 0;
}

export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const found = stat(entry);
    if (found?.comm === 'postgres') total += found.seconds;
  }
  return total;
}
