/** bench:web's settings, from the environment, and the goals its report checks. */
import { execFileSync } from 'node:child_process';
import { TOTAL } from '../bench-kit.ts';
import { type CeilingPath } from '../service-worker-ceiling.ts';

export const FILE_BYTES = TOTAL;
export const LISTING_FILES = Number(process.env.BENCH_LISTING_FILES ?? 10_000);
/** The goal for small files is stated for files of 1 KiB. */
export const LISTING_FILE_BYTES = 1024;
export const LISTING_LOADS = 3;
export const ONLY = process.env.BENCH_ONLY?.toLowerCase().split(',');
export const PROFILE_DIR = process.env.BENCH_PROFILE;
/** BENCH_DIAGNOSE=off leaves out the last round's diagnostic pass (memory-infra dumps and CPU profiles). */
export const DIAGNOSE = process.env.BENCH_DIAGNOSE !== 'off';
export const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'pglite';
export const SAMPLE_EVERY_MS = 200;
export const UPLOAD_PROFILE_MS = 15_000;
export const UPLOAD_TRACE_MS = 5_000;
export const MB = 1e6;
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
export const PAGE_BYTES = Number(execFileSync('getconf', ['PAGESIZE']).toString()) || 4096;
export const BIG_NAME = 'bench-file.bin';
export const CEILING_STREAM = 'ceiling.coffer';
/** The ceiling's downloads through a URL, and its File System Access path. */
export type CeilingRun = CeilingPath | 'fileSystemAccess';
/** The goals as docs/BENCHMARKS.md states them, each against what this machine's Chromium does in the same run. */
export const GOALS = { uploadRatio: 0.7, downloadOfPassedOn: 0.9, appOverIdleMB: 150, listingMs: 1000 };
export const fmt = (value: number | null | undefined, digits = 0) => (value == null ? 'n/a' : value.toFixed(digits));
