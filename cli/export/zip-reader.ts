/**
 * Reads an export archive's zip (PKWARE APPNOTE 6.3): the central directory, ZIP64 where the writer used it, and each
 * entry's data where its local header says it starts. Only stored (uncompressed) entries, as Coffer writes them; names
 * must be UTF-8 and unique. Nothing read here is trusted: the manifest's hashes decide (shared/crypto/export-open.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { exportInvalid, type ArchiveReader } from '../../shared/crypto/index.ts';

const END = 0x06054b50;
const END64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const END_BYTES = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;

interface Entry {
  start: number;
  size: number;
}

export async function openZipArchive(path: string): Promise<ArchiveReader & { close(): Promise<void> }> {
  const file = await open(path, 'r');
  try {
    const entries = await readDirectory(file);
    return {
      names: [...entries.keys()],
      size: (name) => entries.get(name)!.size,
      bytes: async (name) => {
        const { start, size } = entries.get(name)!;
        return read(file, start, size);
      },
      stream: (name) => rangeStream(path, entries.get(name)!),
      sha256: async (name) => {
        const hash = createHash('sha256');
        for await (const piece of Readable.fromWeb(rangeStream(path, entries.get(name)!) as never))
          hash.update(piece as Buffer);
        return hash.digest('hex');
      },
      close: () => file.close(),
    };
  } catch (error) {
    await file.close();
    throw error;
  }
}

function rangeStream(path: string, { start, size }: Entry): ReadableStream<Uint8Array> {
  if (size === 0) return new ReadableStream({ start: (controller) => controller.close() });
  return Readable.toWeb(createReadStream(path, { start, end: start + size - 1 })) as ReadableStream<Uint8Array>;
}

/** The zip's own numbers say where to read and how much, so they are held to the file's size before any allocation. */
async function read(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const { size } = await file.stat();
  if (position < 0 || position + length > size) throw exportInvalid('the zip ends early');
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw exportInvalid('the zip ends early');
  return buffer;
}

async function readDirectory(file: FileHandle): Promise<Map<string, Entry>> {
  const { size: fileSize } = await file.stat();
  const tailLength = Math.min(fileSize, END_BYTES + MAX_COMMENT);
  const tail = Buffer.from(await read(file, fileSize - tailLength, tailLength));
  let at = -1;
  for (let i = tail.length - END_BYTES; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END && i + END_BYTES + tail.readUInt16LE(i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw exportInvalid('it is not a zip file (no end of central directory)');
  let count = tail.readUInt16LE(at + 10);
  let directorySize = tail.readUInt32LE(at + 12);
  let directoryOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locatorAt = fileSize - tailLength + at - 20;
    const locator = Buffer.from(await read(file, locatorAt, 20));
    if (locator.readUInt32LE(0) !== LOCATOR64) throw exportInvalid('its ZIP64 end record is missing');
    const end64 = Buffer.from(await read(file, Number(locator.readBigUInt64LE(8)), 56));
    if (end64.readUInt32LE(0) !== END64) throw exportInvalid('its ZIP64 end record is malformed');
    count = Number(end64.readBigUInt64LE(32));
    directorySize = Number(end64.readBigUInt64LE(40));
    directoryOffset = Number(end64.readBigUInt64LE(48));
  }
  const directory = Buffer.from(await read(file, directoryOffset, directorySize));
  const entries = new Map<string, Entry>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL)
      throw exportInvalid('its central directory is malformed');
    const method = directory.readUInt16LE(p + 10);
    let compressed = directory.readUInt32LE(p + 20);
    let size = directory.readUInt32LE(p + 24);
    const nameLength = directory.readUInt16LE(p + 28);
    const extraLength = directory.readUInt16LE(p + 30);
    const commentLength = directory.readUInt16LE(p + 32);
    let offset = directory.readUInt32LE(p + 42);
    let name: string;
    try {
      name = decoder.decode(directory.subarray(p + 46, p + 46 + nameLength));
    } catch {
      throw exportInvalid('an entry name is not UTF-8');
    }
    const zip64 = zip64Field(directory.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    if (size === 0xffffffff) size = zip64.next();
    if (compressed === 0xffffffff) compressed = zip64.next();
    if (offset === 0xffffffff) offset = zip64.next();
    p += 46 + nameLength + extraLength + commentLength;
    if (method !== STORED || compressed !== size) throw exportInvalid(`its entry "${name}" is not stored as is`);
    if (entries.has(name)) throw exportInvalid(`it holds "${name}" twice`);
    const local = Buffer.from(await read(file, offset, 30));
    if (local.readUInt32LE(0) !== LOCAL) throw exportInvalid(`its entry "${name}" has no local header`);
    const start = offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (start + size > directoryOffset) throw exportInvalid(`its entry "${name}" runs past the entries`);
    entries.set(name, { start, size });
  }
  return entries;
}

/** The ZIP64 extended information field's values, in the order APPNOTE 4.5.3 gives them, for those that overflowed. */
function zip64Field(extra: Buffer): { next(): number } {
  let values: Buffer | undefined;
  for (let q = 0; q + 4 <= extra.length;) {
    const id = extra.readUInt16LE(q);
    const length = extra.readUInt16LE(q + 2);
    if (id === 0x0001) values = extra.subarray(q + 4, q + 4 + length);
    q += 4 + length;
  }
  let read = 0;
  return {
    next() {
      if (!values || read + 8 > values.length) throw exportInvalid('a ZIP64 size or offset is missing');
      const value = Number(values.readBigUInt64LE(read));
      read += 8;
      return value;
    },
  };
}
