/** V8's CPU profiles summarized as self time per function. */
import { basename, join } from 'node:path';
import { read } from './processes.ts';

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileLine {
  ms: number;
  what: string;
}

/** Self time per function of a CPU profile, largest first; minified names come with the code they point at. */
export function summarizeProfile(profiles: CpuProfile[], count = 12): { totalMs: number; top: ProfileLine[] } {
  const self = new Map<string, number>();
  let totalMs = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const frame = byId.get(samples[i]!)!.callFrame;
      if (frame.functionName === '(idle)') continue;
      const ms = (deltas[i + 1] ?? 0) / 1000;
      totalMs += ms;
      let where = '';
      if (frame.url) {
        const path = new URL(frame.url).pathname;
        const source = read(join('web/build', path))?.split('\n')[frame.lineNumber] ?? '';
        const code = source.slice(frame.columnNumber, frame.columnNumber + 60).replaceAll('|', '/');
        where = ` ${basename(path)}:${frame.lineNumber + 1}:${frame.columnNumber + 1} \`${code}\``;
      }
      const key = `${frame.functionName || '(anonymous)'}${where}`;
      self.set(key, (self.get(key) ?? 0) + ms);
    }
  }
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([what, ms]) => ({ what, ms }));
  return { totalMs, top };
}
