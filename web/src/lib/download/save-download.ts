/**
 * Saves a download to disk. With the service worker in control, the worker decrypts the stream as the browser's
 * download manager writes it, so no file is ever held whole in memory (download-route.ts); the page hands it the job
 * over a MessageChannel, opens the download's URL in a hidden frame, and waits on the channel for how it ended: a
 * failure there (a chunk the server altered) is this promise's, as it is when the page decrypts. Without a worker (a
 * first visit, a private window that refuses service workers), the page decrypts into a Blob, which the browser may
 * keep in memory.
 */
import { collect } from '$shared/crypto/index.ts';
import { decryptEntry, type DownloadJob } from './download-job.ts';
import { DOWNLOAD_PATH, type DownloadMessage, type DownloadReport } from './download-route.ts';
import { zipStream } from './zip-entries.ts';

const ACCEPT_TIMEOUT_MS = 10_000;

export async function saveDownload(job: DownloadJob): Promise<void> {
  const worker = navigator.serviceWorker?.controller;
  if (worker) return downloadThrough(worker, job);
  const stream = job.zip ? zipStream(job) : await decryptEntry(job.entries[0]!);
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

/** Resolves when the worker has streamed the whole download (or the user canceled it); rejects with its failure. */
function downloadThrough(worker: ServiceWorker, job: DownloadJob): Promise<void> {
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
