/** One round of the 1 GiB transfer: the web app's upload and download, then Chromium's own download paths. */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MiB, type Transfer } from '../bench-kit.ts';
import {
  CEILING_PATHS,
  type CeilingPath,
  type CeilingServer,
  DECRYPT_INTO_FILE,
  OFFER_SAVED_FILE,
} from '../service-worker-ceiling.ts';
import type { CdpPipe } from './cdp.ts';
import { PageDriver } from './cdp.ts';
import { type Coffer, startCoffer } from './coffer.ts';
import { diagnose, type Diagnosis } from './diagnosis.ts';
import { HeapWatcher } from './heap-watcher.ts';
import { ProcessSampler, type Sampling } from './processes.ts';
import { type MainThread, mainThreadSince, openFiles, openSession, type Session } from './session.ts';
import { BIG_NAME, type CeilingRun, DIAGNOSE, FILE_BYTES } from './settings.ts';

/** Writes `bytes` of random data to `path`, hashing it on the way. */
export function writeRandomFile(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const piece = Buffer.alloc(MiB);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += piece.length) {
      const part = piece.subarray(0, Math.min(piece.length, bytes - written));
      randomFillSync(part);
      hash.update(part);
      writeSync(fd, part);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const piece of createReadStream(path, { highWaterMark: MiB }) as AsyncIterable<Buffer>) {
    hash.update(piece);
    bytes += piece.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export interface WebRun extends Transfer {
  upload: Sampling;
  download: Sampling;
  uploadMainThread: MainThread;
  downloadMainThread: MainThread;
  idle: Sampling;
  /** In the last round only. */
  diagnosis: Diagnosis | undefined;
  /** JavaScript heaps at their highest, as HeapWatcher reports them. */
  uploadHeaps: string;
  downloadHeaps: string;
  /** The same browser's downloads of the same stream without Coffer (bench/service-worker-ceiling.ts). */
  ceiling: Record<CeilingRun, { seconds: number; bytes: number; sampling: Sampling }>;
}

/** Waits for the download Chromium reports complete; it is saved under its guid. */
export function nextDownload(cdp: CdpPipe): Promise<string> {
  return new Promise((resolve, reject) => {
    cdp.listen((message) => {
      if (message.method !== 'Browser.downloadProgress') return false;
      const { guid, state } = message.params as { guid: string; state: string };
      if (state === 'completed') resolve(guid);
      else if (state === 'canceled') reject(new Error('the download was cancelled'));
      else return false;
      return true;
    });
  });
}

/** A fresh Coffer and a fresh browser signed up to it, at the file manager; both are stopped after `work`. */
export async function withFreshSession<T>(
  scratch: string,
  work: (session: Session, coffer: Coffer) => Promise<T>,
): Promise<T> {
  const coffer = await startCoffer(await mkdtemp(join(scratch, 'coffer-')));
  const session = await openSession(coffer.origin, scratch);
  try {
    await openFiles(session.page);
    return await work(session, coffer);
  } finally {
    await session.close();
    await coffer.stop();
  }
}

/**
 * Downloads each of CEILING_PATHS once, in a new tab of the session's browser at the ceiling server's origin, once its
 * service worker controls the tab, then decrypts the stream into a file through the File System Access API. The
 * decrypted files must equal the original.
 */
async function runCeiling(
  session: Session,
  coffer: Coffer,
  ceiling: CeilingServer,
  file: { sha256: string },
): Promise<WebRun['ceiling']> {
  const { cdp } = session;
  const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', { url: `${ceiling.origin}/` });
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
  const page = new PageDriver(cdp, sessionId);
  // The new target starts on about:blank, which has no service worker container.
  await page.waitFor(
    `location.origin === ${JSON.stringify(ceiling.origin)} && document.readyState === 'complete'`,
    'the ceiling page to load',
  );
  await page.evaluate(`navigator.serviceWorker.ready.then(() => true)`);
  await page.reload();
  await page.waitFor(`navigator.serviceWorker.controller`, 'the ceiling page to be controlled by its service worker');
  const results: Partial<WebRun['ceiling']> = {};
  const decrypts = (name: CeilingRun) => name === 'decrypted' || name === 'fileSystemAccess';
  const measure = async (name: CeilingRun, save: () => Promise<void>) => {
    const sampler = new ProcessSampler(coffer.pid);
    sampler.start();
    const started = performance.now();
    await save();
    const seconds = (performance.now() - started) / 1000;
    const sampling = sampler.stop();
    results[name] = { seconds, bytes: decrypts(name) ? FILE_BYTES : ceiling.streamBytes, sampling };
  };
  const check = async (name: CeilingRun, saved: string) => {
    const got = await hashFile(saved);
    await rm(saved);
    const { bytes } = results[name]!;
    if (got.bytes !== bytes || (decrypts(name) && got.sha256 !== file.sha256)) {
      throw new Error(`the ceiling's ${name} download differs: ${got.bytes} bytes, sha256 ${got.sha256}`);
    }
  };
  for (const [name, path] of Object.entries(CEILING_PATHS) as [CeilingPath, string][]) {
    let saved = '';
    await measure(name, async () => {
      const downloaded = nextDownload(cdp);
      await page.evaluate(`(() => {
        const frame = document.createElement('iframe');
        frame.hidden = true;
        frame.src = ${JSON.stringify(path)};
        document.body.append(frame);
        return true;
      })()`);
      saved = join(session.downloads, await downloaded);
    });
    await check(name, saved);
  }
  await measure('fileSystemAccess', () => page.evaluate(`${DECRYPT_INTO_FILE}()`));
  // Untimed: the finished file goes to the download manager only so that its bytes can be checked like the others'.
  const offered = nextDownload(cdp);
  await page.evaluate(`${OFFER_SAVED_FILE}()`);
  await check('fileSystemAccess', join(session.downloads, await offered));
  await cdp.send('Target.closeTarget', { targetId });
  return results as WebRun['ceiling'];
}

export function runWebRound(
  scratch: string,
  file: { path: string; sha256: string },
  ceiling: CeilingServer,
  last: boolean,
): Promise<WebRun> {
  return withFreshSession(scratch, async (session, coffer) => {
    const { page } = session;
    const sampler = new ProcessSampler(coffer.pid);
    sampler.start();
    const idle = sampler.stop();
    await page.send('Performance.enable');

    const heaps = new HeapWatcher(page);
    let metrics = await page.metrics();
    await heaps.start();
    sampler.start();
    const uploadStart = performance.now();
    await page.setInputFiles('Files to upload', [file.path]);
    await page.waitForElement('h2', 'Uploads complete', 0);
    const uploadSeconds = (performance.now() - uploadStart) / 1000;
    const upload = sampler.stop();
    const uploadHeaps = await heaps.stop();
    const uploadMainThread = mainThreadSince(metrics, await page.metrics());

    await page.click('button', 'Clear finished');
    await page.click('button', `Actions for ${BIG_NAME}`);
    const menuItem = await page.locate('[popover]:popover-open button', 'Download');
    metrics = await page.metrics();
    await heaps.start();
    sampler.start();
    const downloadStart = performance.now();
    const downloaded = nextDownload(session.cdp);
    await page.clickAt(menuItem);
    const saved = join(session.downloads, await downloaded);
    const downloadSeconds = (performance.now() - downloadStart) / 1000;
    const downloadSampling = sampler.stop();
    const downloadHeaps = await heaps.stop();
    const downloadMainThread = mainThreadSince(metrics, await page.metrics());

    const got = await hashFile(saved);
    await rm(saved);
    if (got.bytes !== FILE_BYTES || got.sha256 !== file.sha256) {
      throw new Error(`the download differs from the original: ${got.bytes} bytes, sha256 ${got.sha256}`);
    }
    const ceilingRuns = await runCeiling(session, coffer, ceiling, file);
    const diagnosis = last && DIAGNOSE ? await diagnose(session, file, uploadSeconds * 500) : undefined;
    return {
      ceiling: ceilingRuns,
      uploadSeconds,
      downloadSeconds,
      diagnosis,
      upload,
      download: downloadSampling,
      uploadMainThread,
      downloadMainThread,
      uploadHeaps,
      downloadHeaps,
      idle,
    };
  });
}
