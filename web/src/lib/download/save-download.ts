/**
 * Saves a download to disk. With the service worker in control, the worker decrypts the stream as the browser's
 * download manager writes it, so no file is ever held whole in memory (download-route.ts); the page hands it the job
 * over a MessageChannel and opens the download's URL in a hidden frame. Without one (a first visit, a private window
 * that refuses service workers), the page decrypts into a Blob, which the browser may keep in memory.
 */
import { collect } from '$shared/crypto/index.ts';
import { decryptEntry, type DownloadJob } from './download-job.ts';
import { DOWNLOAD_PATH, type DownloadMessage } from './download-route.ts';
import { zipStream } from './zip-entries.ts';
import { handOver } from '$lib/pwa/hand-over.ts';

export async function saveDownload(job: DownloadJob): Promise<void> {
  const worker = navigator.serviceWorker?.controller;
  if (worker) {
    const message: DownloadMessage = { type: 'coffer-download', job };
    await handOver(worker, message, 'The download could not start: the app did not answer.');
    // The name travels in the worker's Content-Disposition, never in a URL: a URL the worker missed would reach the
    // server.
    openHidden(`${DOWNLOAD_PATH}${job.id}`);
    return;
  }
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

function openHidden(url: string): void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = 'download';
  frame.src = url;
  document.body.append(frame);
  setTimeout(() => frame.remove(), 60_000);
}
