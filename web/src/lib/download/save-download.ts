/**
 * Saves a download to disk. With the service worker in control, the worker decrypts the stream as the browser's
 * download manager writes it, so no file is ever held whole in memory (download-route.ts); the page hands it the job
 * over a MessageChannel, opens the download's URL in a hidden frame, and waits on the channel for how it ended: a
 * failure there (a chunk the server altered) is this promise's, as it is when the page decrypts. On a first visit the
 * worker is still installing when the page loads; it claims the page once active (service-worker.ts), and a download
 * started before then waits a moment for it. Only without a worker (a browser or private window that refuses service
 * workers, a worker that failed to install or did not take over in time, a hard reload that bypassed it) does the page
 * decrypt into a Blob, which the browser may keep in memory.
 */
import { collect } from '$shared/crypto/index.ts';
import { exportJobStream } from '../export/export-job.ts';
import { decryptEntry, type DownloadJob } from './download-job.ts';
import { DOWNLOAD_PATH, type DownloadMessage, type DownloadReport } from './download-route.ts';
import { watchedStream } from './watched-stream.ts';
import { zipStream } from './zip-entries.ts';

const ACCEPT_TIMEOUT_MS = 10_000;
/**
 * How long a download waits for an installing worker to take the page over: long enough for a first visit's worker to
 * store the app shell, short enough that a worker that never comes only delays the Blob path.
 */
const CONTROL_TIMEOUT_MS = 10_000;

/**
 * `onProgress` hears how far the download has come, from time to time and at the end: bytes of the saved file, or for
 * an export archive bytes of its files' streams, which is what its total counts.
 */
export async function saveDownload(
  job: DownloadJob,
  onProgress: (bytes: number) => void = () => undefined,
): Promise<void> {
  const worker = await controllingWorker();
  if (worker) return downloadThrough(worker, job, onProgress);
  // No worker controls the page or is about to (a browser without them, a failed install, a hard reload): the page
  // decrypts the whole download and holds it in memory as a Blob.
  let bytes = 0;
  const stream = job.archive
    ? exportJobStream(job.archive, onProgress)
    : watchedStream(job.zip ? zipStream(job) : await decryptEntry(job.entries[0]!), {
        passed: (length) => onProgress((bytes += length)),
      });
  const blob = new Blob([await collect(stream)], {
    type: job.zip ? 'application/zip' : job.entries[0]!.type || 'application/octet-stream',
  });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = job.name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The worker that controls this page, once it does: at once if it already does, after waiting (within
 * CONTROL_TIMEOUT_MS) if a worker is on its way to activation and so will claim the page; otherwise null. An active
 * worker that does not control the page (a hard reload) has claimed the pages it will claim, so it is not waited for.
 */
async function controllingWorker(): Promise<ServiceWorker | null> {
  const container = navigator.serviceWorker;
  if (!container) return null;
  if (container.controller) return container.controller;
  const registration = await container.getRegistration().catch(() => undefined);
  const coming =
    registration?.installing ??
    registration?.waiting ??
    (registration?.active?.state === 'activating' ? registration.active : null);
  if (!coming) return null;
  return new Promise((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      container.removeEventListener('controllerchange', settle);
      coming.removeEventListener('statechange', onState);
      resolve(container.controller);
    };
    // A worker that fails to install or activate will never claim the page: no reason to wait out the timer.
    const onState = () => {
      if (coming.state === 'redundant') settle();
    };
    const timer = setTimeout(settle, CONTROL_TIMEOUT_MS);
    container.addEventListener('controllerchange', settle);
    coming.addEventListener('statechange', onState);
    // The claim may have landed while the registration was being read.
    if (container.controller || coming.state === 'redundant') settle();
  });
}

/** Resolves when the worker has streamed the whole download (or the user canceled it); rejects with its failure. */
function downloadThrough(worker: ServiceWorker, job: DownloadJob, onProgress: (bytes: number) => void): Promise<void> {
  const channel = new MessageChannel();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('The download could not start: the app did not answer.')),
      ACCEPT_TIMEOUT_MS,
    );
    channel.port1.onmessage = ({ data }: MessageEvent<DownloadReport>) => {
      if (data.type === 'accepted') {
        clearTimeout(timer);
        // The URL is requested only once the worker holds the job: a URL the worker missed would reach the server.
        // The name travels in the worker's Content-Disposition, never in a URL, for the same reason.
        openHidden(`${DOWNLOAD_PATH}${job.id}`);
        return;
      }
      if (data.type === 'progress') {
        onProgress(data.bytes);
        return;
      }
      channel.port1.close();
      if (data.type === 'failed') reject(new Error(data.reason));
      else resolve();
    };
    const message: DownloadMessage = { type: 'coffer-download', job };
    worker.postMessage(message, [channel.port2]);
  });
}

function openHidden(url: string): void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = 'download';
  frame.src = url;
  document.body.append(frame);
  setTimeout(() => frame.remove(), 60_000);
}
