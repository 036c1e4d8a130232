/** The folder of 10,000 files: uploaded through the UI, then opened and timed on the page's main thread. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PageDriver } from './cdp.ts';
import { traceMainThread } from './diagnosis.ts';
import { ProcessSampler, type Sampling } from './processes.ts';
import { type CpuProfile, type ProfileLine, summarizeProfile } from './profiles.ts';
import { type MainThread, mainThreadSince, openFiles, reloadAndUnlock } from './session.ts';
import {
  LISTING_FILE_BYTES,
  LISTING_FILES,
  LISTING_LOADS,
  PROFILE_DIR,
  UPLOAD_PROFILE_MS,
  UPLOAD_TRACE_MS,
} from './settings.ts';
import { measureSmallFileCeiling, type SmallFileCeiling } from './small-file-ceiling.ts';
import { withFreshSession } from './transfer.ts';

interface ListingLoad extends MainThread {
  wallMs: number;
}

interface UploadProfile {
  from: string;
  to: string;
  mainThread: MainThread;
  timeline: { taskMs: number; top: ProfileLine[] };
  summary: { totalMs: number; top: ProfileLine[] };
}

export interface Listing {
  files: number;
  /** The same number of files without Coffer, measured just before the upload (small-file-ceiling.ts). */
  ceiling: SmallFileCeiling;
  /** The page's main thread a minute into the folder upload. */
  uploadProfile: UploadProfile | undefined;
  setInputFilesSeconds: number;
  uploadSeconds: number;
  uploadSampling: Sampling;
  loads: ListingLoad[];
  profiled: { load: ListingLoad; profile: { totalMs: number; top: ProfileLine[] }; sampling: Sampling };
}

/**
 * From the folder's parent, already listed: clicks the folder's name and waits until its table lists every file and
 * a frame has been drawn. Main-thread time is the delta of the renderer's TaskDuration (wall time the main thread
 * spent running tasks of any kind: script, style, layout, paint, crypto callbacks, the benchmark's own polling).
 */
async function openFolder(page: PageDriver, folder: string, files: number): Promise<ListingLoad> {
  const at = await page.locate('button.name', folder);
  await page.send('Performance.enable');
  const before = await page.metrics();
  const start = performance.now();
  await page.clickAt(at);
  // Checked once per frame, on the page; then one more frame, so that the rows have been drawn.
  await page.evaluate(`new Promise((resolve) => {
    const check = () =>
      document.querySelector('table[aria-rowcount="${files + 1}"] tr[data-index="0"]')
        ? requestAnimationFrame(() => setTimeout(resolve))
        : requestAnimationFrame(check);
    check();
  })`);
  const wallMs = performance.now() - start;
  const after = await page.metrics();
  return { ...mainThreadSince(before, after), wallMs };
}

/** A fresh page, as a user coming back: reload, unlock with the passkey, open the files, let the page settle. */
async function freshAtRoot(page: PageDriver, folder: string): Promise<void> {
  await reloadAndUnlock(page);
  await openFiles(page);
  await page.waitForElement('button.name', folder);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

export async function runListing(scratch: string): Promise<Listing> {
  const folder = `bench-${LISTING_FILES}-files`;
  const dir = join(scratch, 'listing', folder);
  await mkdir(dir, { recursive: true });
  const digits = String(LISTING_FILES).length;
  for (let i = 1; i <= LISTING_FILES; i++) {
    await writeFile(
      join(dir, `file-${String(i).padStart(digits, '0')}.txt`),
      String(i % 10).repeat(LISTING_FILE_BYTES),
    );
  }
  return withFreshSession(scratch, async (session, coffer) => {
    const { page } = session;
    const ceiling = await measureSmallFileCeiling(page, LISTING_FILES, LISTING_FILE_BYTES);
    console.log(
      `  without Coffer: ${ceiling.onePostPerFile.toFixed(0)} files/s one POST each, ${ceiling.batchedPosts.toFixed(0)} ` +
        `batched, ${ceiling.cryptoOnly.toFixed(0)} files/s of crypto alone`,
    );
    const sampler = new ProcessSampler(coffer.pid);
    sampler.start();
    const start = performance.now();
    await page.setInputFiles('Folder to upload', [dir]);
    const setInputFilesSeconds = (performance.now() - start) / 1000;
    console.log(`  ${LISTING_FILES} files handed to the input in ${setInputFilesSeconds.toFixed(1)} s; uploading...`);
    const heading = () =>
      page.evaluate<string>(`document.querySelector('section[aria-label="Uploads"] h2')?.textContent?.trim() ?? ''`);
    const progress = setInterval(() => {
      void heading().then((text) => console.log(`  ${((performance.now() - start) / 1000).toFixed(0)} s: ${text}`));
    }, 60_000);
    // The page's main thread during the upload: a CPU profile of a window a minute in.
    let finished = false;
    const uploadProfile = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      if (finished) return undefined;
      const from = await heading();
      await page.send('Performance.enable');
      const before = await page.metrics();
      await page.send('Profiler.enable');
      await page.send('Profiler.start');
      await new Promise((resolve) => setTimeout(resolve, UPLOAD_PROFILE_MS));
      const { profile } = await page.send<{ profile: CpuProfile }>('Profiler.stop');
      await page.send('Profiler.disable');
      const mainThread = mainThreadSince(before, await page.metrics());
      const timeline = await traceMainThread(page.cdp, UPLOAD_TRACE_MS);
      if (PROFILE_DIR) {
        await mkdir(PROFILE_DIR, { recursive: true });
        await writeFile(join(PROFILE_DIR, 'folder-upload-page.cpuprofile'), JSON.stringify(profile));
      }
      return { from, to: await heading(), mainThread, timeline, summary: summarizeProfile([profile], 15) };
    })();
    await page.waitForElement('h2', 'Uploads complete', 0).finally(() => clearInterval(progress));
    finished = true;
    const uploadSeconds = (performance.now() - start) / 1000;
    // Before the reloads below: a window that outlasted the upload ends on an idle page.
    const profiledUpload = await uploadProfile.catch(() => undefined);
    const uploadSampling = sampler.stop();
    console.log(`  uploaded in ${uploadSeconds.toFixed(0)} s`);
    await page.click('button', 'Clear finished');

    const loads: ListingLoad[] = [];
    for (let i = 0; i < LISTING_LOADS; i++) {
      await freshAtRoot(page, folder);
      loads.push(await openFolder(page, folder, LISTING_FILES));
      console.log(`  listing ${i + 1}: ${loads.at(-1)!.taskMs.toFixed(0)} ms main thread`);
    }

    // One more load under the CPU profiler and the sampler, for where the time goes (slower for being observed).
    await freshAtRoot(page, folder);
    await page.send('Profiler.enable');
    await page.send('Profiler.setSamplingInterval', { interval: 250 });
    await page.send('Profiler.start');
    sampler.start();
    const load = await openFolder(page, folder, LISTING_FILES);
    const sampling = sampler.stop();
    const { profile } = await page.send<{ profile: CpuProfile }>('Profiler.stop');
    if (PROFILE_DIR) {
      await mkdir(PROFILE_DIR, { recursive: true });
      await writeFile(join(PROFILE_DIR, 'listing.cpuprofile'), JSON.stringify(profile));
    }
    return {
      files: LISTING_FILES,
      ceiling,
      uploadProfile: profiledUpload,
      setInputFilesSeconds,
      uploadSeconds,
      uploadSampling,
      loads,
      profiled: { load, profile: summarizeProfile([profile]), sampling },
    };
  });
}
