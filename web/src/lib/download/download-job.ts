/**
 * What a download is, for the page that starts it and the service worker that streams it: one file, or several
 * files (or a folder) as one zip, or the account's encrypted export archive. Each entry carries what decrypting it needs; the key never leaves the device.
 */
import { decryptByteStream, uuidToBytes } from '$shared/crypto/index.ts';
import type { ExportJob } from '../export/export-job.ts';
import { describeFailure, namingFailures } from './download-failure.ts';

export interface DownloadEntry {
  /** The name inside the zip ("Photos/a.jpg"), or the file's name. */
  path: string;
  revisionId: string;
  nodeId: string;
  revision: number;
  fileKey: Uint8Array;
  size: number;
  modified: number;
  type: string;
  /**
   * For a file reached through a share link, with no account: the link, and the access token its page derived, sent in
   * a header (never in the URL) in place of a session.
   */
  link?: LinkSource;
}

export interface LinkSource {
  id: string;
  token: string;
}

export interface DownloadJob {
  id: string;
  /** The saved file's name: the file's own, or "<folder>.zip". */
  name: string;
  /** Exactly one entry and no `zip`: the file itself. */
  zip: boolean;
  entries: DownloadEntry[];
  /** Folders to include even if empty, as zip paths ending in "/". */
  folders: string[];
  /** An encrypted export of the account (docs/FORMAT.md section 7) in place of the entries: a zip of ciphertext. */
  archive?: ExportJob;
}

/**
 * Downloads the revision's ciphertext and decrypts it as it arrives; every chunk is authenticated before release.
 * Chunks are read and decrypted ahead of the reader (8 MiB), and decrypted chunks held for it, so that the network,
 * decryption and the disk overlap rather than wait on each other chunk by chunk (decryptByteStream). A failure names
 * the file and says whether the server's data or the connection failed (download-failure.ts).
 */
export async function decryptEntry(
  entry: DownloadEntry,
  fetcher: typeof fetch = fetch,
): Promise<ReadableStream<Uint8Array>> {
  let ciphertext: ReadableStream<Uint8Array>;
  try {
    ciphertext = await fetchCiphertext(entry, undefined, fetcher);
  } catch (error) {
    throw describeFailure(entry.path, error);
  }
  const plaintext = decryptByteStream(ciphertext, {
    fileKey: entry.fileKey,
    expected: { fileId: uuidToBytes(entry.nodeId), revision: entry.revision },
  });
  return namingFailures(entry.path, plaintext);
}

/**
 * The revision's stored stream, whole or the bytes [start, end) of it, as the server sends it: ciphertext, to be
 * authenticated by whoever decrypts it. Refused requests throw with the server's message.
 */
export async function fetchCiphertext(
  entry: DownloadEntry,
  range?: { start: number; end: number },
  fetcher: typeof fetch = fetch,
): Promise<ReadableStream<Uint8Array>> {
  const headers: Record<string, string> = {};
  if (range) headers.range = `bytes=${range.start}-${range.end - 1}`;
  if (entry.link) headers.authorization = `Link ${entry.link.token}`;
  const path = entry.link
    ? `/api/s/${entry.link.id}/revisions/${entry.revisionId}/content`
    : `/api/revisions/${entry.revisionId}/content`;
  const response = await fetcher(path, { credentials: entry.link ? 'omit' : 'same-origin', headers });
  if (response.status !== (range ? 206 : 200) || !response.body) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(`"${entry.path}" could not be downloaded: ${body?.error?.message ?? `HTTP ${response.status}`}`);
  }
  return response.body;
}

/** A Content-Disposition that carries any Unicode name (RFC 6266 with RFC 8187 encoding) and an ASCII fallback. */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
