/** Several files (or a folder) as one zip, each file decrypted only when the zip writer reaches it. */
import { createZipStream, zipSize, type ZipEntry } from '../zip/zip-stream.ts';
import { decryptEntry, type DownloadJob } from './download-job.ts';

export function zipStream(job: DownloadJob): ReadableStream<Uint8Array> {
  const folders: ZipEntry[] = job.folders.map((path) => ({ path, modified: new Date() }));
  const files: ZipEntry[] = job.entries.map((entry) => ({
    path: entry.path,
    modified: new Date(entry.modified),
    size: entry.size,
    open: () => decryptEntry(entry),
  }));
  return createZipStream([...folders, ...files]);
}

/** The exact length of zipStream(job), in the same order of entries: for progress against a known end. */
export function zipLength(job: DownloadJob): number {
  return zipSize([
    ...job.folders.map((path) => ({ path, size: 0 })),
    ...job.entries.map((entry) => ({ path: entry.path, size: entry.size })),
  ]);
}
