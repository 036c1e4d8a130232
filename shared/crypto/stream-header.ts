/** The 80-byte stream header (docs/FORMAT.md section 3.1): public parameters, authenticated by an HMAC. */
import { concatBytes, own, toHex, u32, u8, view } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { STREAM_MAGIC, STREAM_VERSION } from './labels.ts';
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, StreamKeys } from './stream-keys.ts';

export const HEADER_BYTES = 80;
const MAC_OFFSET = 48;

/** What the caller knows the stream must be, from its own authenticated records. */
export interface ExpectedStream {
  fileId?: Uint8Array;
  revision?: number;
}

export async function sealHeader(keys: StreamKeys): Promise<Uint8Array<ArrayBuffer>> {
  const { chunkSize, fileId, revision, nonce } = keys.params;
  const fields = concatBytes(STREAM_MAGIC, u8(STREAM_VERSION), u8(0), u32(chunkSize), fileId, u32(revision), nonce);
  const mac = await globalThis.crypto.subtle.sign('HMAC', await keys.headerKey(), fields);
  return concatBytes(fields, new Uint8Array(mac));
}

/** The header's public fields, as anyone can read them; nothing here is authenticated yet. */
export interface HeaderFields {
  chunkSize: number;
  fileId: Uint8Array<ArrayBuffer>;
  revision: number;
  nonce: Uint8Array<ArrayBuffer>;
}

/**
 * Reads the header's fields, rejecting a header that is malformed or of another version. The server uses this to
 * refuse nonsense early; only a key holder can authenticate the result (openHeader).
 */
export function readHeaderFields(header: Uint8Array): HeaderFields {
  if (header.length < HEADER_BYTES) {
    throw new CofferCryptoError(
      'HEADER_MALFORMED',
      `stream is ${header.length} bytes, shorter than its ${HEADER_BYTES}-byte header`,
    );
  }
  if (STREAM_MAGIC.some((byte, i) => header[i] !== byte)) {
    throw new CofferCryptoError('HEADER_MALFORMED', 'not a Coffer stream (the header does not start with "COFFER")');
  }
  const version = header[6]!;
  if (version !== STREAM_VERSION) {
    throw new CofferCryptoError(
      'UNSUPPORTED_VERSION',
      `stream format version ${version} is not supported; this client reads version ${STREAM_VERSION}`,
    );
  }
  const flags = header[7]!;
  if (flags !== 0)
    throw new CofferCryptoError('HEADER_MALFORMED', `header flags are 0x${flags.toString(16)}, expected 0`);
  const chunkSize = view(header).getUint32(8);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new CofferCryptoError(
      'HEADER_MALFORMED',
      `header chunk size ${chunkSize} is outside ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`,
    );
  }
  return {
    chunkSize,
    fileId: own(header.slice(12, 28)),
    revision: view(header).getUint32(28),
    nonce: own(header.slice(32, 48)),
  };
}

/** Parses and authenticates a header, then returns the stream's keys. */
export async function openHeader(
  fileKey: Uint8Array,
  header: Uint8Array,
  expected: ExpectedStream = {},
): Promise<StreamKeys> {
  const keys = await StreamKeys.derive(fileKey, readHeaderFields(header));
  const bytes = own(header.slice(0, HEADER_BYTES));
  const authentic = await globalThis.crypto.subtle.verify(
    'HMAC',
    await keys.headerKey(),
    bytes.subarray(MAC_OFFSET),
    bytes.subarray(0, MAC_OFFSET),
  );
  if (!authentic) {
    throw new CofferCryptoError(
      'HEADER_INVALID',
      'stream header failed authentication (wrong key, altered header, or another file)',
    );
  }
  checkExpected(keys, expected);
  return keys;
}

function checkExpected(keys: StreamKeys, expected: ExpectedStream): void {
  const { fileId, revision } = keys.params;
  if (expected.fileId && toHex(expected.fileId) !== toHex(fileId)) {
    throw new CofferCryptoError(
      'HEADER_MISMATCH',
      `stream belongs to file ${toHex(fileId)}, expected ${toHex(expected.fileId)}`,
    );
  }
  if (expected.revision !== undefined && expected.revision !== revision) {
    throw new CofferCryptoError(
      'HEADER_MISMATCH',
      `stream belongs to revision ${revision}, expected revision ${expected.revision}`,
    );
  }
}
