/**
 * CPU time from /proc, to say where the two cores went during a phase: the load generator, each server, and the
 * Postgres backends serving the benchmark's database (the machine's Postgres serves other work too; a backend names
 * its database in its command line). The servers' pools keep their connections open through a phase, so no
 * backend's time is lost by its exit.
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

/** Backends name themselves "postgres: <cluster>: <user> <database> <client> <state>". */
function servesDatabase(pid: string, database: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(' ').includes(database);
  } catch {
    return false;
  }
}

export function postgresCpuSeconds(database: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const found = stat(entry);
    if (found?.comm === 'postgres' && servesDatabase(entry, database)) total += found.seconds;
  }
  return total;
}
