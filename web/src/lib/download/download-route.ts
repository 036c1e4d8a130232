/**
 * The service worker's side of downloads: it keeps each job the page hands it (once, for a minute) and answers the
 * download's URL with the decrypted stream, so the browser writes the plaintext straight to disk. Nothing here is
 * ever put in a cache. The browser's download list can only say "failed", so the worker tells the page, over the
 * job's MessageChannel, how the download ended and why (save-download.ts shows it).
 */
import { workerHeaders, workerTextResponse } from '$lib/pwa/worker-response.ts';
import { exportJobStream } from '../export/export-job.ts';
import { attachmentDisposition, decryptEntry, type DownloadJob } from './download-job.ts';
import { watchedStream } from './watched-stream.ts';
import { zipStream } from './zip-entries.ts';

export const DOWNLOAD_PATH = '/_download/';
const JOB_LIFETIME_MS = 60_000;

export interface DownloadMessage {
  type: 'coffer-download';
  job: DownloadJob;
}

/**
 * What the worker tells the page about a job: that it holds it, how far it has come (at most every PROGRESS_REPORT_MS,
 * and once more at the end: bytes gone to the browser, or for an export archive bytes of its files' streams), then how
 * the download ended.
 */
export type DownloadReport =
  | { type: 'accepted' }
  | { type: 'progress'; bytes: number }
  | { type: 'finished' }
  | { type: 'canceled' }
  | { type: 'failed'; reason: string };

/** Often enough for a progress bar to move smoothly, rarely enough that messages cost nothing beside the bytes. */
const PROGRESS_REPORT_MS = 250;

interface PendingDownload {
  job: DownloadJob;
  report: (report: DownloadReport) => void;
}

const pending = new Map<string, PendingDownload>();

export function isDownloadMessage(data: unknown): data is DownloadMessage {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'coffer-download';
}

/** Keeps the job until its URL is fetched, and tells the page it may fetch it. */
export function acceptDownload(message: DownloadMessage, reply: MessagePort | undefined): void {
  const { job } = message;
  const report = (outcome: DownloadReport) => reply?.postMessage(outcome);
  pending.set(job.id, { job, report });
  setTimeout(() => {
    if (pending.delete(job.id)) report({ type: 'failed', reason: `The download of "${job.name}" did not start.` });
  }, JOB_LIFETIME_MS);
  report({ type: 'accepted' });
}

export function isDownloadRequest(url: URL): boolean {
  return url.pathname.startsWith(DOWNLOAD_PATH);
}

/** The decrypted download, or a 404 page when the job is unknown (expired, or already fetched once). */
export async function downloadResponse(url: URL): Promise<Response> {
  const id = url.pathname.slice(DOWNLOAD_PATH.length).split('/')[0] ?? '';
  const download = pending.get(id);
  pending.delete(id);
  if (!download) return workerTextResponse(404, 'This download has expired. Start it again from Coffer.');
  const { job, report } = download;
  const headers = workerHeaders({ 'content-disposition': attachmentDisposition(job.name) });
  try {
    if (job.archive) {
      headers.set('content-type', 'application/zip');
      let sentAt = 0;
      const progress = (bytes: number) => {
        if (Date.now() - sentAt < PROGRESS_REPORT_MS) return;
        sentAt = Date.now();
        report({ type: 'progress', bytes });
      };
      return new Response(reportingEnd(exportJobStream(job.archive, progress), report, 'stream'), { headers });
    }
    if (job.zip) {
      headers.set('content-type', 'application/zip');
      return new Response(reportingEnd(zipStream(job), report), { headers });
    }
    const entry = job.entries[0]!;
    headers.set('content-type', 'application/octet-stream');
    headers.set('content-length', String(entry.size));
    return new Response(reportingEnd(await decryptEntry(entry), report), { headers });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    report({ type: 'failed', reason });
    return workerTextResponse(502, reason);
  }
}

/**
 * The same bytes; the page hears how many have gone to the browser (unless the stream reports its own progress, as an
 * export archive does in its files' bytes), when the last has, when the stream failed, or was canceled.
 */
function reportingEnd(
  stream: ReadableStream<Uint8Array>,
  report: (report: DownloadReport) => void,
  progressFrom: 'bytes out' | 'stream' = 'bytes out',
): ReadableStream<Uint8Array> {
  let bytes = 0;
  let reportedAt = 0;
  return watchedStream(stream, {
    passed: (length) => {
      if (progressFrom === 'stream') return;
      bytes += length;
      const now = Date.now();
      if (now - reportedAt < PROGRESS_REPORT_MS) return;
      reportedAt = now;
      report({ type: 'progress', bytes });
    },
    failed: (error) => {
      report({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
      return error;
    },
    finished: () => {
      if (progressFrom === 'bytes out') report({ type: 'progress', bytes });
      report({ type: 'finished' });
    },
    canceled: () => report({ type: 'canceled' }),
  });
}
