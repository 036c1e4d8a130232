/**
 * Every way a hostile server can alter a stored stream (docs/FORMAT.md section 3, threat model rows 7 and 8), as data:
 * the same cases run against the TypeScript decryptor in Node and Chromium, the CLI and the Python decryptor.
 */
import { concatBytes } from '../../shared/crypto/bytes.ts';
import {
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  tokenLength,
  type CryptoErrorCode,
} from '../../shared/crypto/index.ts';
import { patternBytes } from '../vectors/pattern.ts';

export const TAMPER_CHUNK_SIZE = 1024;
const FILE_ID = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const OTHER_FILE_ID = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i);
export const REVISION = 3;

export interface TamperFixture {
  fileKey: Uint8Array;
  fileId: Uint8Array;
  revision: number;
  plaintext: Uint8Array;
  /** 3 full chunks and a short final one. */
  original: Uint8Array;
  /** 3 full chunks, the last one final. */
  exact: Uint8Array;
  sameKeyOtherFile: Uint8Array;
  sameKeyOtherRevision: Uint8Array;
  /** The same file and revision encrypted again (a new nonce), as a retried upload would be. */
  reencrypted: Uint8Array;
  otherKey: Uint8Array;
}

export async function makeTamperFixture(): Promise<TamperFixture> {
  const fileKey = generateKey();
  const plaintext = patternBytes(3 * TAMPER_CHUNK_SIZE + 100);
  const encrypt = (bytes: Uint8Array, key: Uint8Array, fileId: Uint8Array, revision: number) =>
    encryptBytes(bytes, { fileKey: key, fileId, revision, chunkSize: TAMPER_CHUNK_SIZE });
  return {
    fileKey,
    fileId: FILE_ID,
    revision: REVISION,
    plaintext,
    original: await encrypt(plaintext, fileKey, FILE_ID, REVISION),
    exact: await encrypt(plaintext.subarray(0, 3 * TAMPER_CHUNK_SIZE), fileKey, FILE_ID, REVISION),
    sameKeyOtherFile: await encrypt(plaintext, fileKey, OTHER_FILE_ID, REVISION),
    sameKeyOtherRevision: await encrypt(plaintext, fileKey, FILE_ID, REVISION + 1),
    reencrypted: await encrypt(plaintext, fileKey, FILE_ID, REVISION),
    otherKey: await encrypt(plaintext, generateKey(), FILE_ID, REVISION),
  };
}

const T = tokenLength(TAMPER_CHUNK_SIZE);
const start = (i: number) => HEADER_BYTES + i * T;
const header = (s: Uint8Array) => s.subarray(0, HEADER_BYTES);
const chunk = (s: Uint8Array, i: number) => s.subarray(start(i), Math.min(start(i + 1), s.length));
const chunks = (s: Uint8Array) => [0, 1, 2, 3].map((i) => chunk(s, i)).filter((c) => c.length > 0);
const flip = (s: Uint8Array, at: number) => {
  const out = s.slice();
  out[at]! ^= 0x01;
  return out;
};
const withHeader = (s: Uint8Array, h: Uint8Array) => concatBytes(h, s.subarray(HEADER_BYTES));

export interface TamperCase {
  name: string;
  make: (f: TamperFixture) => Uint8Array;
  /** The error when the decryptor is told the file id and revision it expects. */
  expected: CryptoErrorCode;
  /**
   * When it differs, the outcome for a decryptor that knows only the key (the CLI without --file-id/--revision):
   * an error code, or 'decrypts' where the stream is valid on its own and only the expected revision tells it apart.
   */
  expectedKeyOnly?: CryptoErrorCode | 'decrypts';
}

export const TAMPER_CASES: TamperCase[] = [
  {
    name: 'ciphertext byte flipped in chunk 1',
    make: (f) => flip(f.original, start(1) + 40),
    expected: 'CHUNK_INVALID',
  },
  { name: 'MAC byte flipped in chunk 1', make: (f) => flip(f.original, start(2) - 1), expected: 'CHUNK_INVALID' },
  { name: 'IV byte flipped in chunk 0', make: (f) => flip(f.original, start(0) + 9), expected: 'CHUNK_INVALID' },
  { name: 'timestamp altered in chunk 2', make: (f) => flip(f.original, start(2) + 8), expected: 'CHUNK_INVALID' },
  {
    name: 'chunks 0 and 1 swapped',
    make: (f) => {
      const [a, b, ...rest] = chunks(f.original);
      return concatBytes(header(f.original), b!, a!, ...rest);
    },
    expected: 'CHUNK_INVALID',
  },
  {
    name: 'chunk 1 duplicated',
    make: (f) => {
      const [a, b, ...rest] = chunks(f.original);
      return concatBytes(header(f.original), a!, b!, b!, ...rest);
    },
    expected: 'CHUNK_INVALID',
  },
  {
    name: 'chunk 1 dropped',
    make: (f) => {
      const [a, , ...rest] = chunks(f.original);
      return concatBytes(header(f.original), a!, ...rest);
    },
    expected: 'CHUNK_INVALID',
  },
  { name: 'final chunk dropped', make: (f) => f.original.subarray(0, start(3)), expected: 'TRUNCATED' },
  { name: 'last two chunks dropped', make: (f) => f.original.subarray(0, start(2)), expected: 'TRUNCATED' },
  {
    name: 'cut inside the final chunk',
    make: (f) => f.original.subarray(0, f.original.length - 10),
    expected: 'TRUNCATED',
  },
  { name: 'cut inside chunk 1', make: (f) => f.original.subarray(0, start(1) + 500), expected: 'TRUNCATED' },
  { name: 'cut right after the header', make: (f) => f.original.subarray(0, HEADER_BYTES), expected: 'TRUNCATED' },
  { name: 'cut inside the header', make: (f) => f.original.subarray(0, 50), expected: 'HEADER_MALFORMED' },
  { name: 'empty input', make: () => new Uint8Array(0), expected: 'HEADER_MALFORMED' },
  {
    name: 'full final chunk repeated at the end',
    make: (f) => concatBytes(f.exact, chunk(f.exact, 2)),
    expected: 'TRAILING_DATA',
  },
  {
    name: 'a whole chunk of garbage after a full final chunk',
    make: (f) => concatBytes(f.exact, new Uint8Array(T)),
    expected: 'TRAILING_DATA',
  },
  {
    name: 'garbage after a short final chunk',
    make: (f) => concatBytes(f.original, new Uint8Array(T)),
    expected: 'CHUNK_INVALID',
  },
  {
    name: 'chunk 1 spliced from another file under the same key',
    make: (f) =>
      concatBytes(f.original.subarray(0, start(1)), chunk(f.sameKeyOtherFile, 1), f.original.subarray(start(2))),
    expected: 'CHUNK_INVALID',
  },
  {
    name: 'chunk 1 spliced from another revision of the same file',
    make: (f) =>
      concatBytes(f.original.subarray(0, start(1)), chunk(f.sameKeyOtherRevision, 1), f.original.subarray(start(2))),
    expected: 'CHUNK_INVALID',
  },
  {
    name: 'final chunk spliced from another encryption of the same file and revision',
    make: (f) => concatBytes(f.original.subarray(0, start(3)), chunk(f.reencrypted, 3)),
    expected: 'CHUNK_INVALID',
  },
  {
    name: 'header from a file under another key',
    make: (f) => withHeader(f.original, header(f.otherKey)),
    expected: 'HEADER_INVALID',
  },
  {
    name: 'header from another file under the same key',
    make: (f) => withHeader(f.original, header(f.sameKeyOtherFile)),
    expected: 'HEADER_MISMATCH',
    expectedKeyOnly: 'CHUNK_INVALID',
  },
  {
    name: 'header from another revision of the same file',
    make: (f) => withHeader(f.original, header(f.sameKeyOtherRevision)),
    expected: 'HEADER_MISMATCH',
    expectedKeyOnly: 'CHUNK_INVALID',
  },
  {
    name: 'whole stream of another revision served instead',
    make: (f) => f.sameKeyOtherRevision,
    expected: 'HEADER_MISMATCH',
    expectedKeyOnly: 'decrypts',
  },
  { name: 'magic altered', make: (f) => flip(f.original, 0), expected: 'HEADER_MALFORMED' },
  {
    name: 'version lowered to 0',
    make: (f) => {
      const out = f.original.slice();
      out[6] = 0;
      return out;
    },
    expected: 'UNSUPPORTED_VERSION',
  },
  { name: 'flags set', make: (f) => flip(f.original, 7), expected: 'HEADER_MALFORMED' },
  { name: 'chunk size altered', make: (f) => flip(f.original, 10), expected: 'HEADER_INVALID' },
  { name: 'nonce altered', make: (f) => flip(f.original, 40), expected: 'HEADER_INVALID' },
  { name: 'header MAC altered', make: (f) => flip(f.original, 79), expected: 'HEADER_INVALID' },
  { name: 'stream under another key', make: (f) => f.otherKey, expected: 'HEADER_INVALID' },
];
