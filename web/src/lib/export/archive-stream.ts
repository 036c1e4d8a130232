/**
 * The encrypted export archive as a zip stream (docs/FORMAT.md section 7): `account.json`, `nodes.json`, each file's
 * stream, then the manifest, which binds the size and SHA-256 of every entry before it. Each entry is hashed as it
 * passes to the zip writer, which reads one entry to its end before it takes the next, so the manifest, made last,
 * finds every hash ready. Pure: the page, the service worker and the vector script (tools/vectors/) all make it here.
 */
import { createSHA256 } from 'hash-wasm';
import {
  EXPORT_ENTRIES,
  sealManifest,
  streamEntryName,
  type EncryptTokenOptions,
  type ExportAccount,
  type ExportNodes,
  type ManifestEntry,
} from '$shared/crypto/index.ts';
import { createZipStream, type ZipEntry } from '../zip/zip-stream.ts';

export interface ArchiveFile {
  nodeId: string;
  /** The stream's exact length in bytes. */
  size: number;
  /** The stream's bytes, each already authenticated (createVerifiedCiphertextStream). */
  open(): Promise<ReadableStream<Uint8Array>>;
}

export interface ArchiveContents {
  userId: string;
  /** exportManifestKey of the master key. */
  manifestKey: Uint8Array;
  account: ExportAccount;
  nodes: ExportNodes;
  files: ArchiveFile[];
  /** ms since 1970: the manifest's createdAt and every entry's date. */
  createdAt: number;
}

/** `progress` hears the bytes of file streams written so far; `manifestToken` is for test vectors only. */
export function exportArchiveStream(
  contents: ArchiveContents,
  progress?: (streamBytes: number) => void,
  manifestToken?: EncryptTokenOptions,
): ReadableStream<Uint8Array> {
  return createZipStream(archiveEntries(contents, progress ?? (() => undefined), manifestToken));
}

async function* archiveEntries(
  contents: ArchiveContents,
  progress: (streamBytes: number) => void,
  manifestToken: EncryptTokenOptions | undefined,
): AsyncGenerator<ZipEntry> {
  const modified = new Date(contents.createdAt);
  const hashed: ManifestEntry[] = [];
  const encoder = new TextEncoder();
  const whole = (name: string, bytes: Uint8Array): ZipEntry => ({
    path: name,
    modified,
    size: bytes.length,
    open: () => hashing(name, single(bytes), hashed),
  });
  yield whole(EXPORT_ENTRIES.account, encoder.encode(JSON.stringify(contents.account)));
  yield whole(EXPORT_ENTRIES.nodes, encoder.encode(JSON.stringify(contents.nodes)));
  let written = 0;
  for (const file of contents.files) {
    yield {
      path: streamEntryName(file.nodeId),
      modified,
      size: file.size,
      open: async () =>
        (await hashing(streamEntryName(file.nodeId), await file.open(), hashed)).pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(bytes, controller) {
              written += bytes.length;
              progress(written);
              controller.enqueue(bytes);
            },
          }),
        ),
    };
  }
  // The zip writer takes the next entry only once it has read the one before to its end: every hash is in.
  const token = await sealManifest(
    contents.manifestKey,
    { version: 1, userId: contents.userId, createdAt: contents.createdAt, entries: hashed },
    manifestToken,
  );
  const bytes = encoder.encode(token);
  yield { path: EXPORT_ENTRIES.manifest, modified, size: bytes.length, open: () => single(bytes) };
}

/** The same bytes; once they have all passed, the entry's size and SHA-256 join `hashed`. */
async function hashing(
  name: string,
  stream: ReadableStream<Uint8Array>,
  hashed: ManifestEntry[],
): Promise<ReadableStream<Uint8Array>> {
  const hasher = await createSHA256();
  let size = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(bytes, controller) {
        hasher.update(bytes);
        size += bytes.length;
        controller.enqueue(bytes);
      },
      flush() {
        hashed.push({ name, size, sha256: hasher.digest('hex') });
      },
    }),
  );
}

function single(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
