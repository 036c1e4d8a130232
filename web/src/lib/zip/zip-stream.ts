/**
 * A ZIP archive written as a stream, for downloading several files or a folder as one file: each entry's data is
 * read from its source only as fast as the archive is read, and passes through without being held or compressed
 * (STORE: Coffer's files are mostly compressed already, and throughput matters more).
 *
 * Layout, in order (PKWARE APPNOTE 6.3.x):
 * - for each entry: a local file header; then for a file, its data as it comes and a data descriptor with its CRC-32
 *   and size (general purpose bit 3), which are known only once the data is through;
 * - the central directory: one header per entry with its CRC-32, size and local header offset;
 * - the end of central directory record, preceded by the ZIP64 end record and locator only if the entry count
 *   reaches 0xFFFF or the central directory's size or offset reaches 0xFFFFFFFF.
 * Every name is UTF-8 (bit 11), checked and made unique by zip-paths.ts. Every header carries an extended timestamp
 * field (0x5455) with the UTC mtime next to the DOS local date and time.
 *
 * ZIP64 appears only where needed, since some older readers refuse it:
 * - central directory: a ZIP64 field for an entry whose size or offset reaches 0xFFFFFFFF, holding just those;
 * - local header: a ZIP64 field (sizes 0xFFFFFFFF, the field's values zero) for a file whose announced size reaches
 *   0xFFFFFFFF, or whose size is not announced; its data descriptor then has 8-byte sizes, otherwise 4-byte ones.
 * A file of unknown size gets ZIP64 in its local header because that header is written before its first byte, when
 * nobody knows whether it will pass 4 GiB, and APPNOTE 4.3.9.2 ties the descriptor's 8-byte sizes to a ZIP64 field
 * in the local header: readers that walk local headers rather than the central directory (libarchive's streaming
 * mode, used by bsdtar) size the descriptor that way. client-zip and Go's archive/zip decide at the end instead,
 * writing an 8-byte descriptor after a local header without ZIP64, which those readers misread (bsdtar stops with
 * "ZIP uncompressed data is wrong size"). Python's zipfile streaming an entry with force_zip64 writes what we write. The cost is that such an entry asks for version 4.5 even
 * when small: pass `size` when known (Coffer knows every plaintext size) to get classic headers below 4 GiB, and the
 * exact length from zipSize().
 *
 * A file with an announced `size` must deliver exactly that many bytes, or the archive fails: the headers and the
 * announced Content-Length depend on it. Any failure (a source's error, a refused path) errors the archive stream
 * rather than ending it early, so a download never looks complete when it is not.
 */
import { crc32 } from './crc32.ts';
import { EntryNames, ZipEntryError } from './zip-paths.ts';
import {
  centralHeader,
  centralHeaderLength,
  dataDescriptor,
  dataDescriptorLength,
  endLength,
  endRecords,
  entryTime,
  localHeader,
  localHeaderLength,
  ZIP64_LIMIT,
  type WrittenEntry,
} from './zip-records.ts';

export { ZipEntryError } from './zip-paths.ts';

export interface ZipFile {
  /** Relative, '/'-separated ('\' is taken as '/'); renamed "name (2).ext" if it clashes with an earlier entry. */
  path: string;
  modified: Date;
  /** The exact byte length of the data, when known: see the top of this file. */
  size?: number;
  /** Called when the archive reaches this file, not before. */
  open(): ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>;
}

export interface ZipFolder {
  /** Ends with '/'. Folders of the files' paths need no entry of their own; this one gives a date or an empty folder. */
  path: string;
  modified: Date;
}

export type ZipEntry = ZipFile | ZipFolder;

/** Sent in pieces of about this size, rather than one chunk per header. */
const CENTRAL_DIRECTORY_CHUNK = 64 * 1024;

/**
 * The archive of `entries`, taken from the iterable one at a time as the archive is read. Cancelling the archive
 * cancels the source being read, with the same reason, and stops taking entries.
 */
export function createZipStream(entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>): ReadableStream<Uint8Array> {
  const reading: SourceReading = { reader: undefined, reason: undefined };
  const chunks = archiveChunks(entries, reading);
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        // A cancel while this pull waited has already closed the stream.
        if (cancelled) return;
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel(reason) {
        cancelled = true;
        reading.reason = reason;
        // The source first: a pull may be waiting on it, and the generator only returns once that pull is done.
        try {
          await reading.reader?.cancel(reason);
        } finally {
          await chunks.return();
        }
      },
    },
    // No chunk is prepared before it is asked for: the consumer's pace is the sources' pace.
    { highWaterMark: 0 },
  );
}

/**
 * The exact length of the archive of `entries` (folders' paths ending with '/', their size ignored), as
 * createZipStream writes it when given the same paths and sizes: for a Content-Length announced before the first byte.
 */
export function zipSize(entries: Iterable<{ path: string; size: number }>): number {
  const names = new EntryNames();
  let offset = 0;
  let centralSize = 0;
  let count = 0;
  for (const { path, size } of entries) {
    const folder = /[/\\]$/.test(path);
    const name = names.claim(path, folder);
    if (name === undefined) continue;
    const length = folder ? 0 : checkedSize(path, size);
    const zip64 = !folder && length >= ZIP64_LIMIT;
    centralSize += centralHeaderLength(name.length, length, offset);
    offset += localHeaderLength(name.length, zip64) + (folder ? 0 : length + dataDescriptorLength(zip64));
    count++;
  }
  return offset + centralSize + endLength(count, centralSize, offset);
}

function checkedSize(path: string, size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new ZipEntryError(path, `invalid size ${size}`);
  return size;
}

/** The source being read, for cancel(); and the reason of a cancel, for the source the generator cancels itself. */
interface SourceReading {
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  reason: unknown;
}

async function* archiveChunks(
  entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>,
  reading: SourceReading,
): AsyncGenerator<Uint8Array, void, undefined> {
  const names = new EntryNames();
  const written: WrittenEntry[] = [];
  let offset = 0;
  for await (const entry of entries) {
    const folder = !('open' in entry);
    const name = names.claim(entry.path, folder);
    if (name === undefined) continue;
    if (Number.isNaN(entry.modified.getTime())) throw new ZipEntryError(entry.path, 'invalid modification date');
    const time = entryTime(entry.modified);
    if (folder) {
      const start = { name, folder, time, offset, zip64: false };
      const header = localHeader(start);
      yield header;
      offset += header.length;
      written.push({ ...start, crc: 0, size: 0 });
      continue;
    }
    const announced = entry.size === undefined ? undefined : checkedSize(entry.path, entry.size);
    const start = { name, folder, time, offset, zip64: announced === undefined || announced >= ZIP64_LIMIT };
    const header = localHeader(start);
    yield header;
    let crc = 0;
    let size = 0;
    for await (const chunk of sourceChunks(await entry.open(), reading)) {
      size += chunk.length;
      if (announced !== undefined && size > announced)
        throw new ZipEntryError(entry.path, `the source has more than the ${announced} bytes announced`);
      crc = crc32(chunk, crc);
      yield chunk;
    }
    if (announced !== undefined && size < announced)
      throw new ZipEntryError(entry.path, `the source ended after ${size} of the ${announced} bytes announced`);
    const descriptor = dataDescriptor(crc, size, start.zip64);
    yield descriptor;
    offset += header.length + size + descriptor.length;
    written.push({ ...start, crc, size });
  }

  const centralOffset = offset;
  let centralSize = 0;
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  for (const entry of written) {
    const header = centralHeader(entry);
    pending.push(header);
    pendingLength += header.length;
    if (pendingLength >= CENTRAL_DIRECTORY_CHUNK) {
      yield concat(pending, pendingLength);
      centralSize += pendingLength;
      pending = [];
      pendingLength = 0;
    }
  }
  centralSize += pendingLength;
  const end = endRecords(written.length, centralSize, centralOffset);
  pending.push(end);
  yield concat(pending, pendingLength + end.length);
}

/**
 * The chunks of `source`, empty ones skipped. Stopped early (the archive failed or was cancelled), it cancels the
 * source, unless the source has ended or failed on its own.
 */
async function* sourceChunks(
  source: ReadableStream<Uint8Array>,
  reading: SourceReading,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = source.getReader();
  reading.reader = reader;
  let settled = false;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        settled = true;
        throw error;
      }
      if (result.done) {
        settled = true;
        return;
      }
      if (result.value.length > 0) yield result.value;
    }
  } finally {
    reading.reader = undefined;
    // The archive is failing or cancelled already: a source that also fails to cancel changes nothing.
    if (!settled) await reader.cancel(reading.reason).catch(() => undefined);
    reader.releaseLock();
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
