/**
 * `npm run bench:web`: the web app in headless Chromium against a local Coffer started as `npm start` starts it
 * (dist/main.js serving web/build, PGlite and the fs blob store in a temporary directory, a free port, no effective
 * rate limit). In a fresh browser each round, a user signs up with a PRF passkey (a CDP virtual authenticator),
 * reloads so that the service worker controls the page, and unlocks; then a BENCH_MIB (1024) MiB file of random bytes
 * is uploaded through the file picker and downloaded through the row's menu (decrypted by the service worker as the
 * download manager writes it), and the downloaded bytes are checked; then, in the same browser, the same encrypted
 * stream from a plain Node server is downloaded through a bare service worker, decrypted and not, and straight, and
 * decrypted into a file through the File System Access API, to show what Chromium's own paths allow
 * (bench/service-worker-ceiling.ts). Each throughput is a ratio to the plain Node HTTP baseline of bench/bench-kit.ts
 * (Node's fetch PUTting the same 1 GiB of chunks to a server that writes them to disk, then GETting them back),
 * measured in the same run: rounds alternate the baseline and the web app as bench/server.ts does. During each
 * transfer the browser's processes are sampled (RSS every 200 ms; PSS and CPU time per thread every second), and the
 * last round repeats both transfers under Chromium's memory-infra dumps and V8's CPU profiler, to show where the memory
 * and the time go.
 * Then BENCH_LISTING_FILES (10,000) one-byte files are uploaded as a folder, and opening that folder is timed: the
 * renderer main thread's busy time (CDP Performance.getMetrics) from the click to the rendered list, median of 3,
 * and one more load under the CPU profiler.
 * Settings: BENCH_ROUNDS (3), BENCH_ONLY=transfer or listing, BENCH_PROFILE a directory for the CPU profiles (the
 * Coffer server's in its server/ folder), BENCH_PLAYWRIGHT=attached (bench/web/cdp.ts). Needs dist/ and web/build
 * from `npm run build` (the npm script builds first). The parts are in bench/web/: settings, processes (sampling from
 * /proc), cdp (the pipe and the page driver), session, transfer (one round), diagnosis, listing and report.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUNDS, runBaseline, type Transfer } from './bench-kit.ts';
import { encryptForCeiling, startCeilingServer } from './service-worker-ceiling.ts';
import { type Listing, runListing } from './web/listing.ts';
import { reportLines } from './web/report.ts';
import { BIG_NAME, CEILING_STREAM, FILE_BYTES, LISTING_FILES, ONLY } from './web/settings.ts';
import { runWebRound, type WebRun, writeRandomFile } from './web/transfer.ts';

for (const built of ['dist/main.js', 'web/build/index.html']) {
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
}
const wants = (part: string) => !ONLY || ONLY.includes(part);
const scratch = await mkdtemp(join(tmpdir(), 'coffer-bench-web-'));
const baselines: Transfer[] = [];
const runs: WebRun[] = [];
let listing: Listing | undefined;
try {
  if (wants('transfer')) {
    const path = join(scratch, BIG_NAME);
    const sha256 = writeRandomFile(path, FILE_BYTES);
    const encryptedPath = join(scratch, CEILING_STREAM);
    const ceiling = await startCeilingServer(encryptedPath, await encryptForCeiling(path, encryptedPath), FILE_BYTES);
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        // As in bench/server.ts: no dirty pages left for the kernel to flush during the next run.
        execFileSync('sync');
        baselines.push(await runBaseline(await mkdtemp(join(scratch, 'baseline-')), { syncBeforeDownload: true }));
        execFileSync('sync');
        const run = await runWebRound(scratch, { path, sha256 }, ceiling, round === ROUNDS);
        runs.push(run);
        console.log(
          `round ${round}: baseline up ${baselines.at(-1)!.uploadSeconds.toFixed(2)} s, down ` +
            `${baselines.at(-1)!.downloadSeconds.toFixed(2)} s; web app up ${run.uploadSeconds.toFixed(2)} s ` +
            `(peak PSS ${run.upload.peakPssMB?.toFixed(0)} MB), down ${run.downloadSeconds.toFixed(2)} s ` +
            `(peak PSS ${run.download.peakPssMB?.toFixed(0)} MB)`,
        );
        for (const entry of await readdir(scratch)) {
          if (entry !== BIG_NAME && entry !== CEILING_STREAM)
            await rm(join(scratch, entry), { recursive: true, force: true });
        }
      }
    } finally {
      await ceiling.close();
    }
  }
  if (wants('listing')) {
    console.log(`listing: uploading a folder of ${LISTING_FILES} files through the UI`);
    listing = await runListing(scratch);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

console.log(reportLines(baselines, runs, listing).join('\n'));
