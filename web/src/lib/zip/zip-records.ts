/**
 * The byte layout of each ZIP record (PKWARE APPNOTE 6.3.x, section numbers below), with the length of each computed
 * in one place so that zipSize() and the writer cannot disagree.
 */

/** A 32-bit size or offset at or above this value is stored as 0xFFFFFFFF, the real value in a ZIP64 field. */
export const ZIP64_LIMIT = 0xffffffff;
/** The same for the 16-bit entry counts of the end of central directory record. */
const COUNT_LIMIT = 0xffff;

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const END = 0x06054b50;

/** 4.4.4: bit 3, sizes and CRC follow the data in a data descriptor; bit 11, names are UTF-8. */
const FLAG_DATA_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
/** 4.4.2: upper byte 3 = Unix, so unzip tools apply the modes of the external attributes below; lower byte 4.5. */
const VERSION_MADE_BY = (3 << 8) | 45;
/** 4.4.3.2: 2.0 for folders (and STORE), 4.5 for ZIP64. */
const VERSION_CLASSIC = 20;
const VERSION_ZIP64 = 45;
/** Unix mode in the upper 16 bits; for folders, also the MS-DOS directory attribute that Windows looks at. */
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const FOLDER_ATTRIBUTES = ((0o040755 << 16) | 0x10) >>> 0;

const ZIP64_EXTRA = 0x0001;
const TIMESTAMP_EXTRA = 0x5455;
/** The extended timestamp field: header, a flags byte (bit 0: mtime present), a signed 32-bit Unix time. */
const TIMESTAMP_EXTRA_LENGTH = 4 + 1 + 4;
/** A local header's ZIP64 field holds both sizes (4.5.3), zero here since they follow in the data descriptor. */
const LOCAL_ZIP64_EXTRA_LENGTH = 4 + 8 + 8;

export interface EntryTime {
  /** 4.4.6: local time, 2-second resolution, years 1980 to 2107. */
  dosTime: number;
  dosDate: number;
  /** For the extended timestamp field: UTC, to the second, clamped to what a signed 32-bit field holds. */
  unixSeconds: number;
}

export function entryTime(modified: Date): EntryTime {
  const unixSeconds = Math.min(Math.max(Math.floor(modified.getTime() / 1000), -(2 ** 31)), 2 ** 31 - 1);
  const year = modified.getFullYear();
  if (year < 1980) return { dosDate: (1 << 5) | 1, dosTime: 0, unixSeconds };
  if (year > 2107) return { dosDate: (127 << 9) | (12 << 5) | 31, dosTime: (23 << 11) | (59 << 5) | 29, unixSeconds };
  return {
    dosDate: ((year - 1980) << 9) | ((modified.getMonth() + 1) << 5) | modified.getDate(),
    dosTime: (modified.getHours() << 11) | (modified.getMinutes() << 5) | (modified.getSeconds() >> 1),
    unixSeconds,
  };
}

/** What the headers of an entry say, known before its data. */
export interface EntryStart {
  /** UTF-8, ending with '/' for a folder. */
  name: Uint8Array;
  folder: boolean;
  time: EntryTime;
  /** Where its local header starts in the archive. */
  offset: number;
  /** Whether the local header has a ZIP64 field, and so the data descriptor 8-byte sizes (APPNOTE 4.3.9.2). */
  zip64: boolean;
}

/** An entry once its data is written: all the central directory needs. */
export interface WrittenEntry extends EntryStart {
  crc: number;
  size: number;
}

/** Little-endian fields written one after the other into a record of known length. */
class RecordWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }

  u16(value: number): this {
    this.view.setUint16(this.at, value, true);
    this.at += 2;
    return this;
  }

  u32(value: number): this {
    this.view.setUint32(this.at, value, true);
    this.at += 4;
    return this;
  }

  /** Sizes and offsets are JS numbers, exact up to 2^53 bytes: far beyond any archive. */
  u64(value: number): this {
    return this.u32(value % 2 ** 32).u32(Math.floor(value / 2 ** 32));
  }

  raw(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
    return this;
  }

  timestamp(time: EntryTime): this {
    this.u16(TIMESTAMP_EXTRA).u16(TIMESTAMP_EXTRA_LENGTH - 4);
    this.view.setUint8(this.at, 1);
    this.view.setInt32(this.at + 1, time.unixSeconds, true);
    this.at += 5;
    return this;
  }
}

/** Offsets past 4 GiB need ZIP64 in the central directory, hence version 4.5, which the local header must repeat. */
function versionNeeded(entry: EntryStart): number {
  return entry.zip64 || entry.offset >= ZIP64_LIMIT ? VERSION_ZIP64 : VERSION_CLASSIC;
}

function flags(entry: EntryStart): number {
  return entry.folder ? FLAG_UTF8 : FLAG_UTF8 | FLAG_DATA_DESCRIPTOR;
}

export function localHeaderLength(nameLength: number, zip64: boolean): number {
  return 30 + nameLength + TIMESTAMP_EXTRA_LENGTH + (zip64 ? LOCAL_ZIP64_EXTRA_LENGTH : 0);
}

/**
 * 4.3.7. A file's CRC and sizes are zero (or 0xFFFFFFFF, pointing to the ZIP64 field, itself zero) as bit 3 says:
 * they follow in its data descriptor. A folder has no data, so no descriptor: its zeros are its real values.
 */
export function localHeader(entry: EntryStart): Uint8Array {
  const sizes = entry.zip64 ? ZIP64_LIMIT : 0;
  const record = new RecordWriter(localHeaderLength(entry.name.length, entry.zip64))
    .u32(LOCAL_HEADER)
    .u16(versionNeeded(entry))
    .u16(flags(entry))
    .u16(0) // STORE
    .u16(entry.time.dosTime)
    .u16(entry.time.dosDate)
    .u32(0)
    .u32(sizes)
    .u32(sizes)
    .u16(entry.name.length)
    .u16(TIMESTAMP_EXTRA_LENGTH + (entry.zip64 ? LOCAL_ZIP64_EXTRA_LENGTH : 0))
    .raw(entry.name)
    .timestamp(entry.time);
  if (entry.zip64) record.u16(ZIP64_EXTRA).u16(16).u64(0).u64(0);
  return record.bytes;
}

export function dataDescriptorLength(zip64: boolean): number {
  return zip64 ? 24 : 16;
}

/** 4.3.9, with the optional signature, which macOS's Archive Utility requires. STORE: compressed size = size. */
export function dataDescriptor(crc: number, size: number, zip64: boolean): Uint8Array {
  const record = new RecordWriter(dataDescriptorLength(zip64)).u32(DATA_DESCRIPTOR).u32(crc);
  return (zip64 ? record.u64(size).u64(size) : record.u32(size).u32(size)).bytes;
}

/** 4.5.3: in the central directory, a ZIP64 field holds only the values whose 32-bit field overflowed, in order. */
function centralZip64Values(size: number, offset: number): number[] {
  const values = size >= ZIP64_LIMIT ? [size, size] : [];
  if (offset >= ZIP64_LIMIT) values.push(offset);
  return values;
}

export function centralHeaderLength(nameLength: number, size: number, offset: number): number {
  const zip64Values = centralZip64Values(size, offset).length;
  return 46 + nameLength + TIMESTAMP_EXTRA_LENGTH + (zip64Values > 0 ? 4 + 8 * zip64Values : 0);
}

/** 4.3.12. */
export function centralHeader(entry: WrittenEntry): Uint8Array {
  const zip64Values = centralZip64Values(entry.size, entry.offset);
  const size32 = Math.min(entry.size, ZIP64_LIMIT);
  const record = new RecordWriter(centralHeaderLength(entry.name.length, entry.size, entry.offset))
    .u32(CENTRAL_HEADER)
    .u16(VERSION_MADE_BY)
    .u16(versionNeeded(entry))
    .u16(flags(entry))
    .u16(0) // STORE
    .u16(entry.time.dosTime)
    .u16(entry.time.dosDate)
    .u32(entry.crc)
    .u32(size32)
    .u32(size32)
    .u16(entry.name.length)
    .u16(TIMESTAMP_EXTRA_LENGTH + (zip64Values.length > 0 ? 4 + 8 * zip64Values.length : 0))
    .u16(0) // comment length
    .u16(0) // disk number
    .u16(0) // internal attributes
    .u32(entry.folder ? FOLDER_ATTRIBUTES : FILE_ATTRIBUTES)
    .u32(Math.min(entry.offset, ZIP64_LIMIT))
    .raw(entry.name)
    .timestamp(entry.time);
  if (zip64Values.length > 0) {
    record.u16(ZIP64_EXTRA).u16(8 * zip64Values.length);
    for (const value of zip64Values) record.u64(value);
  }
  return record.bytes;
}

function needsZip64End(count: number, centralSize: number, centralOffset: number): boolean {
  return count >= COUNT_LIMIT || centralSize >= ZIP64_LIMIT || centralOffset >= ZIP64_LIMIT;
}

export function endLength(count: number, centralSize: number, centralOffset: number): number {
  return (needsZip64End(count, centralSize, centralOffset) ? 56 + 20 : 0) + 22;
}

/**
 * 4.3.14 and 4.3.15 (the ZIP64 end of central directory record and its locator) only when a count, size or offset
 * overflows; then 4.3.16, where only the overflowing fields say 0xFFFF(FFFF), as Python's zipfile writes them.
 */
export function endRecords(count: number, centralSize: number, centralOffset: number): Uint8Array {
  const record = new RecordWriter(endLength(count, centralSize, centralOffset));
  if (needsZip64End(count, centralSize, centralOffset)) {
    record
      .u32(ZIP64_END)
      .u64(56 - 12) // the size of the rest of this record
      .u16(VERSION_MADE_BY)
      .u16(VERSION_ZIP64)
      .u32(0) // this disk
      .u32(0) // the disk where the central directory starts
      .u64(count) // entries on this disk
      .u64(count)
      .u64(centralSize)
      .u64(centralOffset)
      .u32(ZIP64_LOCATOR)
      .u32(0) // the disk of the ZIP64 end record
      .u64(centralOffset + centralSize)
      .u32(1); // disks in total
  }
  return record
    .u32(END)
    .u16(0) // this disk
    .u16(0) // the disk where the central directory starts
    .u16(Math.min(count, COUNT_LIMIT))
    .u16(Math.min(count, COUNT_LIMIT))
    .u32(Math.min(centralSize, ZIP64_LIMIT))
    .u32(Math.min(centralOffset, ZIP64_LIMIT))
    .u16(0).bytes; // comment length
}
