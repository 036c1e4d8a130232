/** The load benchmark's figures as Markdown, ready to paste into docs/BENCHMARKS.md. */
import { KINDS, type Recorder } from './client-loop.ts';

export interface Phase {
  target: string;
  /** For a ceiling, its short name in the ratios of the phases after it in the same round. */
  ceiling?: string;
  round: number;
  /** From the start of the loop until the last client's last answer. */
  seconds: number;
  recorder: Recorder;
  cpu: { loadGenerator: number; servers: number[]; postgres?: number };
}

/** Nearest rank: the smallest latency that at least p of the requests did not exceed. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

const total = (phase: Phase) => KINDS.reduce((sum, kind) => sum + phase.recorder.latencies[kind].length, 0);
const errors = (phase: Phase) => KINDS.reduce((sum, kind) => sum + phase.recorder.errors[kind], 0);
export const requestsPerSecond = (phase: Phase) => total(phase) / phase.seconds;
export const listP99 = (phase: Phase) =>
  percentile(
    [...phase.recorder.latencies.list].sort((a, b) => a - b),
    0.99,
  );

function latencies(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return [0.5, 0.95, 0.99, 1].map((p) => percentile(sorted, p).toFixed(0)).join(' / ');
}

/** Where the CPU went, per request answered: what each request costs the machine, whatever the load. */
function perRequest(phase: Phase): string {
  const ms = (seconds: number) => ((seconds * 1000) / total(phase)).toFixed(2);
  const servers = phase.cpu.servers.reduce((sum, seconds) => sum + seconds, 0);
  const postgres = phase.cpu.postgres ?? 0;
  return [
    `servers ${ms(servers)} ms`,
    `Postgres ${phase.cpu.postgres === undefined ? '-' : ms(postgres)} ms`,
    `load generator ${ms(phase.cpu.loadGenerator)} ms`,
    `in all ${ms(servers + postgres + phase.cpu.loadGenerator)} ms`,
  ].join(', ');
}

function row(phase: Phase, ceilings: Phase[]): string {
  const rate = requestsPerSecond(phase);
  const ratios = ceilings.map((ceiling) => `${(rate / requestsPerSecond(ceiling)).toFixed(2)}x ${ceiling.ceiling}`);
  const cpu = [
    phase.cpu.loadGenerator.toFixed(0),
    phase.cpu.servers.map((seconds) => seconds.toFixed(0)).join(' + '),
    phase.cpu.postgres === undefined ? '-' : phase.cpu.postgres.toFixed(0),
  ].join(' / ');
  return (
    `| ${phase.target} | ${rate.toFixed(0)}${ratios.length > 0 ? ` (${ratios.join(', ')})` : ''} | ${errors(phase)} | ` +
    `${KINDS.map((kind) => latencies(phase.recorder.latencies[kind])).join(' | ')} | ${cpu} |`
  );
}

/** Each phase's ratios are to the ceilings measured before it in its round. */
export function report(header: string, phases: Phase[]): string {
  const lines = [
    header,
    '',
    '| target | requests/s (ratio to each ceiling) | errors | list ms p50 / p95 / p99 / max | ' +
      'upload ms p50 / p95 / p99 / max | download ms p50 / p95 / p99 / max | CPU s: load generator / servers / Postgres |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [index, phase] of phases.entries()) {
    const ceilings = phases.slice(0, index).filter((before) => before.round === phase.round && before.ceiling);
    lines.push(row(phase, ceilings));
  }
  for (const phase of phases) {
    const failed = errors(phase);
    const p99 = listP99(phase);
    lines.push(
      '',
      `${phase.target}, round ${phase.round}: ${failed === 0 ? 'zero errors' : `**${failed} errors**`} ` +
        `(${KINDS.map((kind) => `${kind} ${phase.recorder.errors[kind]}`).join(', ')}); ` +
        `p99 of the folder listings ${p99.toFixed(0)} ms against the goal of 250 ms: ` +
        `${failed === 0 && p99 < 250 ? 'met' : '**not met**'}. ` +
        `${phase.recorder.latencies.upload.length - phase.recorder.errors.upload} files uploaded ` +
        `(${phase.recorder.encryptedOnDemand} of them encrypted during the phase by clients whose pool ran out).`,
      `CPU per request: ${perRequest(phase)}.`,
      ...phase.recorder.samples.map((sample) => `- ${sample}`),
    );
  }
  return lines.join('\n');
}
