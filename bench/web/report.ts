/** The Markdown report of bench:web, from the rounds' measurements. */
import { cpus, totalmem } from 'node:os';

import { CHUNKS, median, MiB, T, type Transfer } from '../bench-kit.ts';
import { PLAYWRIGHT_ATTACHED } from './cdp.ts';

import { type Diagnosis, type MemoryDump } from './diagnosis.ts';
import { type Listing } from './listing.ts';
import { FULL_EVERY, type Sampling } from './processes.ts';
import { type ProfileLine } from './profiles.ts';
import { chromiumVersion, type MainThread } from './session.ts';
import {
  type CeilingRun,
  DATABASE,
  FILE_BYTES,
  fmt,
  GOALS,
  LISTING_FILE_BYTES,
  LISTING_LOADS,
  MB,
  SAMPLE_EVERY_MS,
  UPLOAD_PROFILE_MS,
  UPLOAD_TRACE_MS,
} from './settings.ts';
import { type WebRun } from './transfer.ts';

const rate = (bytes: number, seconds: number) => bytes / MB / seconds;
const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
/** CPU seconds of the threads whose "process: thread" name passes `matches`. */
const cpuOf = (sampling: Sampling, matches: (name: string) => boolean) =>
  sampling.cpu.filter(([name]) => matches(name)).reduce((sum, [, seconds]) => sum + seconds, 0);
const cofferCpu = (sampling: Sampling) => cpuOf(sampling, (name) => name.startsWith('Coffer server:'));
const cpuList = (sampling: Sampling, count: number) =>
  sampling.cpu
    .slice(0, count)
    .map(([name, cpu]) => `${name} ${fmt(cpu, 1)}`)
    .join('; ');

function diagnosisLines(diagnosis: Diagnosis | undefined): string[] {
  if (!diagnosis) return [];
  const dump = (title: string, found: MemoryDump | null) =>
    found
      ? [
          '',
          `${title}: the memory-infra dump with the highest total private footprint, ${fmt(found.totalMB)} MB ` +
            '(processes above 20 MB; allocators of 3 MB and more, MB):',
          '',
          ...found.processes.map((line) => `- ${line}`),
        ]
      : [];
  const profile = (title: string, summary: { totalMs: number; top: ProfileLine[] }) => [
    '',
    `${title} (${fmt(summary.totalMs)} ms of samples not idle), self time by function:`,
    '',
    '| self time | function (minified name, file:line:column, the code there) |',
    '| --- | --- |',
    ...summary.top.map((line) => `| ${fmt(line.ms)} ms | ${line.what} |`),
  ];
  return [
    '',
    `Diagnostic pass (last round, not in the results above): the same upload and download again under Chromium's ` +
      `memory-infra dumps (every second) and V8's CPU profiler: upload ${fmt(diagnosis.uploadSeconds, 1)} s, ` +
      `download ${fmt(diagnosis.downloadSeconds, 1)} s.`,
    ...dump('Upload', diagnosis.upload),
    '',
    `Right after the upload (its workers have ended): ${diagnosis.afterUpload}.`,
    ...dump('Download', diagnosis.download),
    '',
    `Right after the download: ${diagnosis.afterDownload}.`,
    ...profile(
      `The upload workers' first ${fmt(diagnosis.workerProfileSeconds, 1)} s, both workers together`,
      diagnosis.workerProfile,
    ),
    ...profile('The service worker during the download', diagnosis.serviceWorkerProfile),
  ];
}

export function reportLines(baselines: Transfer[], runs: WebRun[], listing: Listing | undefined): string[] {
  const lines: string[] = [
    `Run on ${new Date().toISOString().slice(0, 10)}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${chromiumVersion}. Coffer on ` +
      `${DATABASE === 'postgres' ? 'the local Postgres (BENCH_DATABASE=postgres)' : 'PGlite (the embedded default)'} ` +
      'and the fs blob store. MB = 10^6 bytes. ' +
      (PLAYWRIGHT_ATTACHED
        ? 'Playwright stayed connected during the measurements (BENCH_PLAYWRIGHT=attached).'
        : 'Measured with no Playwright connected: the page driven over a CDP pipe that does not watch the network.'),
  ];
  if (runs.length > 0) {
    const baselineBytes = CHUNKS * T;
    const upRatios = runs.map(
      (run, i) => rate(FILE_BYTES, run.uploadSeconds) / rate(baselineBytes, baselines[i]!.uploadSeconds),
    );
    const downRatios = runs.map(
      (run, i) => rate(FILE_BYTES, run.downloadSeconds) / rate(baselineBytes, baselines[i]!.downloadSeconds),
    );
    const highest = (pick: (run: WebRun) => number | null) => {
      const values = runs.map(pick);
      return values.some((value) => value === null) ? null : Math.max(...(values as number[]));
    };
    const upPss = highest((run) => run.upload.peakPssMB);
    const downPss = highest((run) => run.download.peakPssMB);
    const upApp = highest((run) => run.upload.peakAppPssMB);
    const downApp = highest((run) => run.download.peakAppPssMB);
    const idlePss = highest((run) => run.idle.peakPssMB);
    const idleApp = highest((run) => run.idle.peakAppPssMB);
    /** The app's renderers over their own idle level in the same round, the highest of the rounds. */
    const overIdle = (phase: 'upload' | 'download') =>
      highest((run) =>
        run[phase].peakAppPssMB === null || run.idle.peakAppPssMB === null
          ? null
          : run[phase].peakAppPssMB - run.idle.peakAppPssMB,
      );
    const upOverIdle = overIdle('upload');
    const downOverIdle = overIdle('download');
    const upRss = highest((run) => run.upload.peakRssMB)!;
    const downRss = highest((run) => run.download.peakRssMB)!;
    const ofPassedOn = runs.map(
      (run) => rate(FILE_BYTES, run.downloadSeconds) / rate(run.ceiling.passedOn.bytes, run.ceiling.passedOn.seconds),
    );
    lines.push(
      '',
      `${(FILE_BYTES / MiB).toFixed(0)} MiB of random bytes, ${runs.length} rounds. Upload: "Files to upload" given ` +
        "the file, timed until the 'Uploads complete' heading. Download: the row's Download, timed from the click " +
        'until Chromium reports the download complete (the service worker decrypts it as it streams); its SHA-256 is ' +
        'checked against the original. Baseline (the ratios are to this): the plain Node HTTP server of ' +
        `bench/bench-kit.ts, to which Node's fetch PUTs ${CHUNKS} chunks of ${T} bytes (8 to a request, 4 requests at ` +
        'a time) that it writes to disk, then GETs them back in one stream; one baseline per round, just before the ' +
        'web app, and each ratio is the median of the rounds’ ratios (MB/s of the file’s bytes over MB/s of the ' +
        "baseline's). Memory: the sum over every Chromium process of this browser, RSS every " +
        `${SAMPLE_EVERY_MS} ms and PSS (smaps_rollup, shared pages divided between their sharers) every ` +
        `${SAMPLE_EVERY_MS * FULL_EVERY} ms; the highest of the rounds.`,
      '',
      '| round | baseline up | web app up | ratio | baseline down | web app down | ratio | peak PSS up / down | ' +
        "the app's renderers | peak RSS up / down |",
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...runs.map((run, i) => {
        const base = baselines[i]!;
        return (
          `| ${i + 1} | ${fmt(rate(baselineBytes, base.uploadSeconds))} MB/s | ` +
          `${fmt(rate(FILE_BYTES, run.uploadSeconds))} MB/s (${fmt(run.uploadSeconds, 1)} s) | ${fmt(upRatios[i], 2)}x | ` +
          `${fmt(rate(baselineBytes, base.downloadSeconds))} MB/s | ${fmt(rate(FILE_BYTES, run.downloadSeconds))} MB/s ` +
          `(${fmt(run.downloadSeconds, 1)} s) | ${fmt(downRatios[i], 2)}x | ` +
          `${fmt(run.upload.peakPssMB)} / ${fmt(run.download.peakPssMB)} MB | ` +
          `${fmt(run.upload.peakAppPssMB)} / ${fmt(run.download.peakAppPssMB)} MB | ` +
          `${fmt(run.upload.peakRssMB)} / ${fmt(run.download.peakRssMB)} MB |`
        );
      }),
      '',
      '| goal | measured | met? |',
      '| --- | --- | --- |',
      `| upload through the UI at least ${GOALS.uploadRatio}x the baseline | ${fmt(median(upRatios), 2)}x (median) | ` +
        `${met(median(upRatios) >= GOALS.uploadRatio)} |`,
      `| download through the UI at least ${GOALS.downloadOfPassedOn}x Chromium's pass-through service worker | ` +
        `${fmt(median(ofPassedOn), 2)}x (median) | ${met(median(ofPassedOn) >= GOALS.downloadOfPassedOn)} |`,
      `| the app's renderers (page, its workers, service worker) at most ${GOALS.appOverIdleMB} MB over their idle ` +
        `level, upload | ${fmt(upOverIdle)} MB over idle (peak ${fmt(upApp)} MB of PSS; idle up to ${fmt(idleApp)} MB) | ` +
        `${met(upOverIdle !== null && upOverIdle <= GOALS.appOverIdleMB)} |`,
      `| the same, download | ${fmt(downOverIdle)} MB over idle (peak ${fmt(downApp)} MB) | ` +
        `${met(downOverIdle !== null && downOverIdle <= GOALS.appOverIdleMB)} |`,
      `| all of Chromium, for reference (no goal) | PSS up ${fmt(upPss)} MB (RSS ${fmt(upRss)} MB), down ` +
        `${fmt(downPss)} MB (RSS ${fmt(downRss)} MB); idle before the upload, up to ${fmt(idlePss)} MB | - |`,
    );
    /** One clause per round, "round N, ...", joined. */
    const byRound = (describe: (run: WebRun) => string) =>
      runs.map((run, i) => `round ${i + 1}, ${describe(run)}`).join('; ');
    const serviceWorkerCpu = (sampling: Sampling) =>
      cpuOf(sampling, (name) => name === 'renderer (service worker): ServiceWorker t');
    const ceilingCell = (run: WebRun, name: CeilingRun) => {
      const { seconds, bytes, sampling } = run.ceiling[name];
      return `${fmt(rate(bytes, seconds))} MB/s (${fmt(seconds, 1)} s, ${fmt(sampling.cpuTotal, 1)} CPU-s)`;
    };
    lines.push(
      '',
      "Chromium's own download path, without Coffer (bench/service-worker-ceiling.ts), in the same browser after the " +
        "web app's download: a plain Node server sends the same encrypted stream from the page cache, and it is " +
        "downloaded through a bare service worker that decrypts it with the web app's decryptByteStream, through one " +
        'that passes it on as the network gives it, and straight from the server to the download manager; and ' +
        'decrypted by a dedicated worker into a file through the File System Access API (a file of the ' +
        'origin-private file system: headless Chromium cannot answer a save dialog). In brackets: the time, and the ' +
        'CPU time of every Chromium process and the Coffer server (idle here).',
      '',
      '| round | web app down | through a service worker, decrypted | passed on, not decrypted | straight to disk | ' +
        'File System Access, decrypted | service worker thread: web app / decrypted / passed on |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...runs.map(
        (run, i) =>
          `| ${i + 1} | ${fmt(rate(FILE_BYTES, run.downloadSeconds))} MB/s (${fmt(run.downloadSeconds, 1)} s, ` +
          `${fmt(run.download.cpuTotal, 1)} CPU-s) | ${ceilingCell(run, 'decrypted')} | ` +
          `${ceilingCell(run, 'passedOn')} | ${ceilingCell(run, 'direct')} | ${ceilingCell(run, 'fileSystemAccess')} | ` +
          `${fmt(serviceWorkerCpu(run.download), 1)} / ${fmt(serviceWorkerCpu(run.ceiling.decrypted.sampling), 1)} / ` +
          `${fmt(serviceWorkerCpu(run.ceiling.passedOn.sampling), 1)} s |`,
      ),
      '',
      `The web app's download against the service worker that only passes the stream on: ` +
        `${ofPassedOn.map((ratio) => `${fmt(ratio, 2)}x`).join(', ')} (median ${fmt(median(ofPassedOn), 2)}x); ` +
        `that worker against the baseline's download: ` +
        runs
          .map(
            (run, i) =>
              `${fmt(rate(run.ceiling.passedOn.bytes, run.ceiling.passedOn.seconds) / rate(baselineBytes, baselines[i]!.downloadSeconds), 2)}x`,
          )
          .join(', ') +
        '.',
      '',
      "The app's renderers at their peak, MB of PSS: " +
        byRound(
          (run) =>
            `up ${run.upload.peakAppBreakdown || 'not read'}; down ${run.download.peakAppBreakdown || 'not read'}`,
        ) +
        '.',
      '',
      "The Coffer server's CPU time (all its threads) during the web app's upload and download: " +
        byRound((run) => `${fmt(cofferCpu(run.upload), 1)} s up and ${fmt(cofferCpu(run.download), 1)} s down`) +
        '.',
      '',
      "The page's main thread, busy during the upload and the download (script in brackets): " +
        byRound(
          ({ uploadMainThread: up, downloadMainThread: down }) =>
            `${fmt(up.taskMs)} ms (${fmt(up.scriptMs)}) up and ${fmt(down.taskMs)} ms (${fmt(down.scriptMs)}) down`,
        ) +
        '.',
    );
    const last = runs.at(-1)!;
    const where = (title: string, sampling: Sampling, seconds: number, main: MainThread, heaps: string) =>
      `${title} (last round): ${fmt(sampling.cpuTotal, 1)} CPU seconds in ${fmt(seconds, 1)} s (two cores give ` +
      `${fmt(2 * seconds, 1)}); the page's main thread was busy ${fmt(main.taskMs)} ms. By thread: ` +
      `${cpuList(sampling, 10)}. PSS at the peak, MB: ${sampling.peakBreakdown}. JavaScript heaps at their ` +
      `highest, MB of V8 heap + ArrayBuffers: ${heaps}. (Sampler: ` +
      `${fmt(sampling.costMsPerSecond)} ms of reading /proc per second.)`;
    lines.push(
      '',
      where('Upload', last.upload, last.uploadSeconds, last.uploadMainThread, last.uploadHeaps),
      '',
      where('Download', last.download, last.downloadSeconds, last.downloadMainThread, last.downloadHeaps),
      '',
      ...diagnosisLines(last.diagnosis),
      '',
      `The browser idle after unlocking, before the upload: PSS ${runs.map((run) => fmt(run.idle.peakPssMB)).join(', ')} ` +
        `MB (${last.idle.peakBreakdown}).`,
    );
  }
  if (listing) {
    const task = median(listing.loads.map((load) => load.taskMs));
    const pick = listing.loads.find((load) => load.taskMs === task)!;
    const { load, profile, sampling } = listing.profiled;
    lines.push(
      '',
      `A folder of ${listing.files} files of ${LISTING_FILE_BYTES} bytes through "Folder to upload": the input took ` +
        `${fmt(listing.setInputFilesSeconds, 1)} s to receive them, the upload ${fmt(listing.uploadSeconds)} s ` +
        `(${fmt(listing.files / listing.uploadSeconds, 1)} files/s; ${fmt(listing.uploadSampling.cpuTotal)} CPU ` +
        `seconds, of which ${cpuList(listing.uploadSampling, 6)}; peak PSS ${fmt(listing.uploadSampling.peakPssMB)} ` +
        `MB). Without Coffer, just before, the same browser did ${fmt(listing.ceiling.onePostPerFile)} files/s as ` +
        `one POST of ${LISTING_FILE_BYTES} bytes each (4 in flight), ${fmt(listing.ceiling.batchedPosts)} files/s ` +
        `in POSTs of 128 such bodies (2 in flight), and ${fmt(listing.ceiling.cryptoOnly)} files/s of the app's ` +
        `crypto alone on the page's main thread. Then ${LISTING_LOADS} times: reload, unlock, open My files, wait 1 s, click the folder's name, and wait ` +
        'until its table counts every file and shows its first row, plus one frame. Main-thread time is the change ' +
        "in the renderer's TaskDuration (CDP Performance.getMetrics: time the page's main thread spent running " +
        'tasks of any kind: script, style, layout, paint, promise callbacks of WebCrypto), with its ScriptDuration, ' +
        'LayoutDuration and RecalcStyleDuration parts.',
      '',
      '| load | main thread | script | layout | style | wall time | JS heap after |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...listing.loads.map(
        (one, i) =>
          `| ${i + 1} | ${fmt(one.taskMs)} ms | ${fmt(one.scriptMs)} ms | ${fmt(one.layoutMs)} ms | ` +
          `${fmt(one.styleMs)} ms | ${fmt(one.wallMs)} ms | ${fmt(one.heapMB)} MB |`,
      ),
      '',
      '| goal | measured | met? |',
      '| --- | --- | --- |',
      `| a folder of ${listing.files} files rendered in under 1 s of main-thread time | ${fmt(task)} ms (median; ` +
        `wall ${fmt(pick.wallMs)} ms) | ${met(task < GOALS.listingMs)} |`,
      '',
      `Where the listing's time goes: one more load under the CPU profiler (${fmt(load.taskMs)} ms of main thread, ` +
        `${fmt(load.wallMs)} ms wall, ${fmt(profile.totalMs)} ms of profile samples not idle; CPU by thread: ` +
        `${cpuList(sampling, 6)}). Self time by function:`,
      '',
      '| self time | function (minified name, file:line:column, the code there) |',
      '| --- | --- |',
      ...profile.top.map((line) => `| ${fmt(line.ms)} ms | ${line.what} |`),
      ...(listing.uploadProfile
        ? [
            '',
            `The page's main thread during that upload, under the CPU profiler for ${UPLOAD_PROFILE_MS / 1000} s ` +
              `a minute in (from "${listing.uploadProfile.from}" to "${listing.uploadProfile.to}"; ` +
              `${fmt(listing.uploadProfile.summary.totalMs)} ms of samples not idle; Performance.getMetrics over the ` +
              `window: tasks ${fmt(listing.uploadProfile.mainThread.taskMs)} ms, script ` +
              `${fmt(listing.uploadProfile.mainThread.scriptMs)} ms, layout ${fmt(listing.uploadProfile.mainThread.layoutMs)} ` +
              `ms, style ${fmt(listing.uploadProfile.mainThread.styleMs)} ms), self time by function:`,
            '',
            '| self time | function (minified name, file:line:column, the code there) |',
            '| --- | --- |',
            ...listing.uploadProfile.summary.top.map((line) => `| ${fmt(line.ms)} ms | ${line.what} |`),
            '',
            `Then ${UPLOAD_TRACE_MS / 1000} s of timeline trace (categories toplevel, devtools.timeline, blink, cc) of ` +
              `the page's main thread: busy ${fmt(listing.uploadProfile.timeline.taskMs)} ms; time inside each kind ` +
              'of event (minus the events nested in it):',
            '',
            '| self time | trace event |',
            '| --- | --- |',
            ...listing.uploadProfile.timeline.top.map((line) => `| ${fmt(line.ms)} ms | ${line.what} |`),
          ]
        : []),
    );
  }
  return lines;
}
