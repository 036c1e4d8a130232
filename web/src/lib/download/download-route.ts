/**
 * The service worker's side of downloads: it keeps each job the page hands it (once, for a minute) and answers the
 * download's URL with the decrypted stream, so the browser writes the plaintext straight to disk. Nothing here is
 * ever put in a cache.
 */
import { attachmentDisposition, decryptEntry, type DownloadJob } from './download-job.ts';
import { zipStream } from './zip-entries.ts';

export const DOWNLOAD_PATH = '/_download/';
const JOB_LIFETIME_MS = 60_000;

export interface DownloadMessage {
  type: 'coffer-download';
  job: DownloadJob;
}

const jobs = new Map<string, DownloadJob>();

export function isDownloadMessage(data: unknown): data is DownloadMessage {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'coffer-download';
}

/** Keeps the job until its URL is fetched, and tells the page it may fetch it. */
export function acceptDownload(message: DownloadMessage, reply: MessagePort | undefined): void {
  jobs.set(message.job.id, message.job);
  setTimeout(() => jobs.delete(message.job.id), JOB_LIFETIME_MS);
  reply?.postMessage({ accepted: message.job.id });
}

export function isDownloadRequest(url: URL): boolean {
  return url.pathname.startsWith(DOWNLOAD_PATH);
}

/** The decrypted download, or a 404 page when the job is unknown (expired, or already fetched once). */
export async function downloadResponse(url: URL): Promise<Response> {
  const id = url.pathname.slice(DOWNLOAD_PATH.length).split('/')[0] ?? '';
  const job = jobs.get(id);
  jobs.delete(id);
  if (!job) {
    return new Response('This download has expired. Start it again from Coffer.', {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  const headers = new Headers({
    'content-disposition': attachmentDisposition(job.name),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  if (job.zip) {
    headers.set('content-type', 'application/zip');
    return new Response(zipStream(job), { headers });
  }
  const entry = job.entries[0]!;
  headers.set('content-type', 'application/octet-stream');
  headers.set('content-length', String(entry.size));
  return new Response(await decryptEntry(entry), { headers });
}
