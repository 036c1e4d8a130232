/**
 * `npm run bench:server`: a 1 GiB Coffer stream uploaded (chunk by chunk, 4 requests in flight) and downloaded (one
 * streaming GET) through a real Coffer process, with the fs blob store and, when Ceph is installed, the S3 store on a
 * local Ceph RGW. Each figure is a ratio to a plain Node HTTP server that writes the same request bodies to disk and
 * streams the same bytes back, measured in the same run. Also reports the Coffer process's peak RSS; the account is
 * made with a passkey first, as a browser would, so that the measured process has loaded what sign-in needs.
 * Settings: BENCH_MIB (default 1024) the size, BENCH_BATCH (8) chunks per upload request, BENCH_IN_FLIGHT (4)
 * requests at once, BENCH_ROUNDS (3) rounds, BENCH_ONLY the targets to run, BENCH_PROFILE a directory for the Coffer process's CPU profiles.
 * First, the start a new user sees (bench/start.ts): time to a served page, first start's peak RSS, restarted idle RSS.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createBucket, startCephRgw } from '../tools/harness/ceph-rgw.ts';
import { measureStart, startTable, type StartFigures } from './start.ts';
import { createPostgresDatabase } from '../tools/harness/test-databases.ts';
import { BATCH, CHUNKS, IN_FLIGHT, mbps, median, ROUNDS, runBaseline, T, TOTAL } from './bench-kit.ts';
import { runCoffer, type Run } from './coffer-transfer.ts';

/** BENCH_ONLY=postgres,s3 runs only the targets whose names contain one of these words. */
const ONLY = process.env.BENCH_ONLY?.toLowerCase().split(',');

interface Target {
  name: string;
  run(scratch: string): Promise<Run>;
}

const targets: Target[] = [
  {
    name: 'Coffer, fs blob store, PGlite',
    run: async (scratch: string) => runCoffer(await mkdtemp(join(scratch, 'fs-')), {}),
  },
  {
    name: 'Coffer, fs blob store, Postgres',
    run: async (scratch: string) => {
      const postgres = await createPostgresDatabase();
      try {
        return await runCoffer(await mkdtemp(join(scratch, 'pg-')), { DATABASE_URL: postgres.url });
      } finally {
        await postgres.drop();
      }
    },
  },
  { name: 'Coffer, S3 blob store (Ceph RGW), PGlite', run: runS3 },
].filter((target) => !ONLY || ONLY.some((word) => target.name.toLowerCase().includes(word)));

async function runS3(scratch: string): Promise<Run> {
  const rgw = await startCephRgw({ memstoreBytes: 3 * TOTAL + 1024 ** 3 });
  try {
    const bucket = `bench-${Date.now()}`;
    await createBucket(rgw, bucket);
    return await runCoffer(await mkdtemp(join(scratch, 's3-')), {
      BLOB_STORE: 's3',
      S3_ENDPOINT: rgw.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: rgw.accessKeyId,
      S3_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    });
  } finally {
    await rgw.stop();
  }
}

// The server as `npm start` runs it: compiled ahead of time.
execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
const starts: StartFigures[] = [];
for (let round = 1; round <= ROUNDS; round++) starts.push(await measureStart());
console.log(`${startTable(starts)}\n`);
const hasCeph = existsSync('/usr/bin/radosgw');
const baselines: Run[] = [];
const results = new Map<string, Run[]>(targets.map((target) => [target.name, []]));
const scratch = await mkdtemp(join(tmpdir(), 'coffer-bench-'));
try {
  // Rounds alternate the baseline and each target, so that a slow spell of the disk or the other core falls on both.
  for (let round = 1; round <= ROUNDS; round++) {
    // Each run starts with no dirty pages left by the previous one, which the kernel would flush during it.
    execFileSync('sync');
    baselines.push(await runBaseline(await mkdtemp(join(scratch, 'baseline-'))));
    for (const target of targets) {
      if (target.name.includes('S3') && !hasCeph) continue;
      execFileSync('sync');
      results.get(target.name)!.push(await target.run(scratch));
      await rm(scratch, { recursive: true, force: true });
      await mkdir(scratch);
    }
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const baselineUpload = median(baselines.map((run) => run.uploadSeconds));
const baselineDownload = median(baselines.map((run) => run.downloadSeconds));
const rows = [
  `| plain Node HTTP server (baseline) | ${mbps(baselineUpload)} (1.00x) | ${mbps(baselineDownload)} (1.00x) | - |`,
];
for (const [name, runs] of results) {
  if (runs.length === 0) {
    rows.push(`| ${name} | not run: Ceph is not installed (.ci/run installs it) | | |`);
    continue;
  }
  // The ratio of each round to its own baseline, then the median of those ratios.
  const upload = median(runs.map((run, i) => baselines[i]!.uploadSeconds / run.uploadSeconds));
  const download = median(runs.map((run, i) => baselines[i]!.downloadSeconds / run.downloadSeconds));
  const rss = Math.max(...runs.map((run) => run.peakRssMiB ?? 0));
  rows.push(
    `| ${name} | ${mbps(median(runs.map((run) => run.uploadSeconds)))} (${upload.toFixed(2)}x) | ` +
      `${mbps(median(runs.map((run) => run.downloadSeconds)))} (${download.toFixed(2)}x) | ${rss.toFixed(0)} MiB |`,
  );
}

const embedded = results.get('Coffer, fs blob store, PGlite') ?? [];
const external = results.get('Coffer, fs blob store, Postgres') ?? [];
const pairedUpload =
  embedded.length > 0 && embedded.length === external.length
    ? `Upload on PGlite against the same server on Postgres, round by round (median): ${median(
        embedded.map((run, i) => external[i]!.uploadSeconds / run.uploadSeconds),
      ).toFixed(2)}x.`
    : '';

console.log(
  [
    `Run on ${new Date().toISOString().slice(0, 10)}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}. ${CHUNKS} chunks of ${T} bytes ` +
      `(${((CHUNKS * T) / 2 ** 30).toFixed(2)} GiB), ${BATCH} chunks per upload request, ${IN_FLIGHT} requests in ` +
      `flight; one streaming download; ${ROUNDS} rounds. MB/s is the median of the rounds; the ratio is the median ` +
      'of each round against its own baseline; peak RSS is the highest of the rounds.',
    '',
    '| server | upload | download | peak RSS |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    pairedUpload,
  ].join('\n'),
);
