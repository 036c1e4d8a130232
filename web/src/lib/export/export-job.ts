/**
 * An encrypted export as a download job (docs/FORMAT.md section 7), for the page that plans it (export-plan.ts) and
 * the service worker that streams it: the account's and tree's records, opened and checked on the page, and for each
 * file what fetching and authenticating its stream takes. The file keys authenticate the streams; none of them, nor
 * the master key, goes into the archive, only the manifest key derived for it.
 */
import {
  createVerifiedCiphertextStream,
  uuidToBytes,
  type ExportAccount,
  type ExportNodes,
} from '$shared/crypto/index.ts';
import { describeFailure, namingFailures } from '../download/download-failure.ts';
import { fetchCiphertext, type DownloadEntry } from '../download/download-job.ts';
import { exportArchiveStream, type ArchiveFile } from './archive-stream.ts';

export interface ExportFile extends DownloadEntry {
  /** The stored stream's exact length, header included. */
  streamSize: number;
}

export interface ExportJob {
  userId: string;
  manifestKey: Uint8Array;
  account: ExportAccount;
  nodes: ExportNodes;
  files: ExportFile[];
  createdAt: number;
}

/**
 * The archive, each file's stream fetched only when the zip reaches it and passed on only as it authenticates, for
 * its file and revision, to exactly the size its metadata gives. A stream that fails stops the archive: a zip entry
 * cannot be taken back once begun, and an archive that ends before its manifest opens nowhere.
 */
export function exportJobStream(job: ExportJob, progress?: (streamBytes: number) => void): ReadableStream<Uint8Array> {
  const files: ArchiveFile[] = job.files.map((file) => ({
    nodeId: file.nodeId,
    size: file.streamSize,
    open: async () => {
      let ciphertext: ReadableStream<Uint8Array>;
      try {
        ciphertext = await fetchCiphertext(file);
      } catch (error) {
        throw describeFailure(file.path, error);
      }
      const verified = ciphertext.pipeThrough(
        createVerifiedCiphertextStream({
          fileKey: file.fileKey,
          expected: { fileId: uuidToBytes(file.nodeId), revision: file.revision },
          plaintextBytes: (length) => {
            if (length !== file.size)
              throw new Error(`"${file.path}" holds ${length} bytes, though its details say ${file.size}.`);
          },
        }),
      );
      return namingFailures(file.path, verified);
    },
  }));
  return exportArchiveStream({ ...job, files }, progress);
}

/** Bytes of file streams in the archive: what progress counts toward. */
export function exportStreamBytes(job: ExportJob): number {
  return job.files.reduce((sum, file) => sum + file.streamSize, 0);
}
