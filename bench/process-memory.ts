/**
 * The memory of a group of processes (a server and the database processes it starts), from /proc. The sum of their
 * RSS counts a page once in every process that maps it (Postgres's shared buffers once per backend): too much. The
 * sum of their PSS divides a shared page between every process that maps it, including processes outside the group
 * (other Node processes, the machine's own Postgres running the same binary): too little. What the group holds is
 * counted exactly by its distinct resident pages, from /proc/PID/pagemap's page frame numbers (readable by root).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { descendants, read } from './web/processes.ts';

const MiB = 1024 * 1024;
/** Reading every page's frame costs far more than a sum from /proc: every 10th sample. */
const UNIQUE_EVERY = 10;

/** A field of /proc/PID/status or smaps_rollup, in MiB; 0 once the process is gone. */
function kibField(path: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(read(path) ?? '');
  return match ? (Number(match[1]) * 1024) / MiB : 0;
}

const PAGE = 4096;

/** The physical pages `pid` has resident, added to `frames`; nothing if it is gone or the frames are hidden. */
function addResidentFrames(pid: number, frames: Set<number>): void {
  const smaps = read(`/proc/${pid}/smaps`);
  if (!smaps) return;
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/pagemap`, 'r');
  } catch {
    return;
  }
  const buffer = Buffer.alloc(8 * 4096);
  try {
    // Each mapping's header line, then its fields; only mappings with resident pages are worth reading.
    for (const [, start, end, rss] of smaps.matchAll(
      /^([0-9a-f]+)-([0-9a-f]+) [^\n]*\n(?:(?!Rss:)[^\n]*\n)*Rss:\s+(\d+)/gm,
    )) {
      if (rss === '0') continue;
      const last = parseInt(end!, 16) / PAGE;
      for (let page = parseInt(start!, 16) / PAGE; page < last; page += 4096) {
        const count = Math.min(4096, last - page);
        const bytes = readSync(fd, buffer, 0, count * 8, page * 8);
        for (let i = 0; i < bytes / 8; i++) {
          const high = buffer.readUInt32LE(i * 8 + 4);
          // Bit 63: present; bits 0-54: the frame number.
          if (high & 0x80000000) frames.add((high & 0x7fffff) * 2 ** 32 + buffer.readUInt32LE(i * 8));
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** The group's distinct resident pages, in MiB: each page once, however many of its processes map it. */
export function uniqueResidentMiB(pids: number[]): number {
  const frames = new Set<number>();
  for (const pid of pids) addResidentFrames(pid, frames);
  frames.delete(0);
  return (frames.size * PAGE) / MiB;
}

export interface MemoryFigures {
  /** The sum of each process's own peak RSS (VmHWM): exact for one process, an upper bound for several. */
  peakRssMiB: number;
  /** The highest sum of the processes' PSS at one sample. */
  peakPssMiB: number;
  /** The highest of the group's distinct resident pages, sampled every UNIQUE_EVERY-th sample. */
  peakUniqueMiB: number;
  /** The sum of RSS, of PSS, and the distinct resident pages now. */
  rssMiB: number;
  pssMiB: number;
  uniqueMiB: number;
  processes: number;
}

/**
 * Samples every `everyMs` the processes under the given roots (the roots included), keeping each process's highest
 * VmHWM even after it exits (a Postgres backend whose connection closed) and the highest PSS sum.
 */
export class MemoryWatch {
  #timer: NodeJS.Timeout;
  #peaks = new Map<number, number>();
  #peakPss = 0;
  #peakUnique = 0;
  #samples = 0;

  constructor(
    private readonly roots: () => number[],
    everyMs = 100,
  ) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  #pids(): number[] {
    return this.roots().flatMap((root) => descendants(root));
  }

  #sample(): number[] {
    const pids = this.#pids();
    let pss = 0;
    for (const pid of pids) {
      const hwm = kibField(`/proc/${pid}/status`, 'VmHWM');
      this.#peaks.set(pid, Math.max(this.#peaks.get(pid) ?? 0, hwm));
      pss += kibField(`/proc/${pid}/smaps_rollup`, 'Pss');
    }
    this.#peakPss = Math.max(this.#peakPss, pss);
    if (this.#samples++ % UNIQUE_EVERY === 0) this.#peakUnique = Math.max(this.#peakUnique, uniqueResidentMiB(pids));
    return pids;
  }

  /** The figures so far; sampling goes on until stop(). */
  read(): MemoryFigures {
    const pids = this.#sample();
    const unique = uniqueResidentMiB(pids);
    const sum = (field: string, file: string) =>
      pids.reduce((total, pid) => total + kibField(`/proc/${pid}/${file}`, field), 0);
    return {
      peakRssMiB: [...this.#peaks.values()].reduce((total, peak) => total + peak, 0),
      peakPssMiB: this.#peakPss,
      peakUniqueMiB: Math.max(this.#peakUnique, unique),
      rssMiB: sum('VmRSS', 'status'),
      pssMiB: sum('Pss', 'smaps_rollup'),
      uniqueMiB: unique,
      processes: pids.length,
    };
  }

  stop(): MemoryFigures {
    const figures = this.read();
    clearInterval(this.#timer);
    return figures;
  }
}
