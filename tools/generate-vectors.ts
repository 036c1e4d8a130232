/**
 * Writes tests/vectors/coffer.json and the worked example in docs/FORMAT.md: stream, wrapped-key and passphrase vectors with every random input fixed, so that any
 * implementation can check it produces exactly these bytes. Run with `npm run vectors`; the output is committed.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { concatBytes, fromHex, toHex, u32, u64, u8, utf8 } from '../shared/crypto/bytes.ts';
import { hkdf, importHkdfKey } from '../shared/crypto/hkdf.ts';
import {
  decodeBase64url,
  DEFAULT_ARGON2ID,
  DEFAULT_CHUNK_SIZE,
  encodeBase64url,
  encryptBytes,
  HEADER_BYTES,
  LABEL_STREAM_CHUNK,
  LABEL_STREAM_HEADER,
  MIN_PASSPHRASE_ITERATIONS,
  passphraseWrappingSecret,
  wrapKey,
  type Argon2idParams,
  type PassphraseParams,
  type Pbkdf2Params,
} from '../shared/crypto/index.ts';
import { patternBytes, VECTOR_PATTERN } from '../tests/vectors/pattern.ts';

/** Deterministic bytes: SHA-256 of the seed and a counter, so the vectors are reproducible. */
function deterministicRandom(seed: string) {
  let counter = 0;
  const recorded: Uint8Array[] = [];
  const random = (length: number) => {
    const out = new Uint8Array(length);
    for (let filled = 0; filled < length; filled += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - filled)), filled);
    }
    recorded.push(out);
    return out;
  };
  return { random, recorded };
}

const TIMESTAMP = 1_795_000_000;
const SMALL_CHUNK = 1024;
const streamCases: { name: string; size: number; chunkSize: number }[] = [
  { name: 'worked-example', size: 5, chunkSize: SMALL_CHUNK },
  { name: 'empty', size: 0, chunkSize: SMALL_CHUNK },
  { name: 'one-byte', size: 1, chunkSize: SMALL_CHUNK },
  { name: 'one-chunk-minus-one', size: SMALL_CHUNK - 1, chunkSize: SMALL_CHUNK },
  { name: 'one-chunk', size: SMALL_CHUNK, chunkSize: SMALL_CHUNK },
  { name: 'one-chunk-plus-one', size: SMALL_CHUNK + 1, chunkSize: SMALL_CHUNK },
  { name: 'several-chunks', size: 3 * SMALL_CHUNK + 100, chunkSize: SMALL_CHUNK },
  { name: 'several-chunks-exact', size: 3 * SMALL_CHUNK, chunkSize: SMALL_CHUNK },
  { name: 'default-chunk-size', size: DEFAULT_CHUNK_SIZE + 1, chunkSize: DEFAULT_CHUNK_SIZE },
];

interface StreamVector {
  name: string;
  fileKey: string;
  fileId: string;
  revision: number;
  chunkSize: number;
  timestamp: number;
  nonce: string;
  ivs: string[];
  plaintextSize: number;
  ciphertext: string;
}

const stream: StreamVector[] = [];
for (const { name, size, chunkSize } of streamCases) {
  const { random, recorded } = deterministicRandom(`coffer stream vector ${name}`);
  const fileKey = random(32);
  const fileId = random(16);
  recorded.length = 0;
  const ciphertext = await encryptBytes(patternBytes(size), {
    fileKey,
    fileId,
    revision: 7,
    chunkSize,
    random,
    now: () => TIMESTAMP,
  });
  const [nonce, ...ivs] = recorded;
  stream.push({
    name,
    fileKey: encodeBase64url(fileKey),
    fileId: toHex(fileId),
    revision: 7,
    chunkSize,
    timestamp: TIMESTAMP,
    nonce: toHex(nonce!),
    ivs: ivs.map(toHex),
    plaintextSize: size,
    ciphertext: encodeBase64url(ciphertext),
  });
}

const wrap = [];
for (const [name, purpose] of [
  ['file-key', 'file-key'],
  ['folder-key', 'folder-key'],
] as const) {
  const { random } = deterministicRandom(`coffer wrap vector ${name}`);
  const wrappingSecret = random(32);
  const key = random(32);
  const iv = random(16);
  const binding = { purpose, owner: 'user-1', object: 'c0ffee00-0000-4000-8000-000000000001' };
  wrap.push({
    name,
    wrappingSecret: encodeBase64url(wrappingSecret),
    ...binding,
    key: encodeBase64url(key),
    iv: toHex(iv),
    timestamp: TIMESTAMP,
    wrapped: await wrapKey(wrappingSecret, key, binding, { iv, timestamp: TIMESTAMP }),
  });
}

/**
 * The master key wrapped under a passphrase (docs/FORMAT.md section 4.1), once per KDF. The passphrase is given
 * decomposed ("e" and a combining accent), so an implementation that skips the NFC normalization gets another secret.
 */
const passphrase = [];
const legacyAndCurrent: [string, Omit<Argon2idParams, 'salt'> | Omit<Pbkdf2Params, 'salt'>][] = [
  ['argon2id', { kdf: 'Argon2id', ...DEFAULT_ARGON2ID }],
  ['pbkdf2-sha256-legacy', { kdf: 'PBKDF2-SHA256', iterations: MIN_PASSPHRASE_ITERATIONS }],
];
for (const [name, kdf] of legacyAndCurrent) {
  const { random } = deterministicRandom(`coffer passphrase vector ${name}`);
  const text = 'cafe\u0301 tulip orbit 1987';
  const params = { ...kdf, salt: encodeBase64url(random(16), { padding: false }) } as PassphraseParams;
  const masterKey = random(32);
  const iv = random(16);
  const secret = await passphraseWrappingSecret(text, params);
  const binding = { purpose: 'master-key', owner: 'c0ffee00-0000-4000-8000-0000000000aa', object: 'passphrase' };
  passphrase.push({
    name,
    passphrase: text,
    passphraseNfcUtf8: toHex(utf8(text.normalize('NFC'))),
    params,
    wrappingSecret: toHex(secret),
    ...binding,
    masterKey: encodeBase64url(masterKey),
    iv: toHex(iv),
    timestamp: TIMESTAMP,
    wrapped: await wrapKey(secret, masterKey, binding, { iv, timestamp: TIMESTAMP }),
  });
}

const out = new URL('../tests/vectors/coffer.json', import.meta.url);
writeFileSync(out, JSON.stringify({ plaintextPattern: VECTOR_PATTERN, stream, wrap, passphrase }, null, 1) + '\n');
console.log(
  `wrote ${stream.length} stream, ${wrap.length} wrap and ${passphrase.length} passphrase vectors to ${out.pathname}`,
);

/** Writes the worked example of docs/FORMAT.md section 6 from the first stream vector, showing every intermediate. */
async function workedExample(vector: StreamVector): Promise<string> {
  const fileKey = decodeBase64url(vector.fileKey);
  const ciphertext = decodeBase64url(vector.ciphertext);
  const ikm = await importHkdfKey(fileKey);
  const nonce = fromHex(vector.nonce);
  const headerKey = await hkdf(ikm, nonce, utf8(LABEL_STREAM_HEADER));
  const chunkInfo = concatBytes(
    utf8(LABEL_STREAM_CHUNK),
    u8(0),
    fromHex(vector.fileId),
    u32(vector.revision),
    u64(0),
    u8(1),
  );
  const chunkKey = await hkdf(ikm, nonce, chunkInfo);
  const header = ciphertext.subarray(0, HEADER_BYTES);
  const token = ciphertext.subarray(HEADER_BYTES);
  const lines = [
    `plaintext        ${toHex(patternBytes(vector.plaintextSize))} (${vector.plaintextSize} bytes)`,
    `file_key         ${toHex(fileKey)}`,
    `                 (base64url: ${vector.fileKey})`,
    `chunk_size       ${vector.chunkSize}`,
    `file_id          ${vector.fileId}`,
    `revision         ${vector.revision}`,
    `nonce            ${vector.nonce}`,
    `header_key       ${toHex(headerKey)}`,
    `header           ${toHex(header.subarray(0, 6))} ${toHex(header.subarray(6, 8))} ${toHex(header.subarray(8, 12))}`,
    `                 ${toHex(header.subarray(12, 28))} ${toHex(header.subarray(28, 32))}`,
    `                 ${toHex(header.subarray(32, 48))}`,
    `                 ${toHex(header.subarray(48, 80))} (header_mac)`,
    `chunk 0 info     ${toHex(chunkInfo)}`,
    `chunk_key(0, 1)  ${toHex(chunkKey)}`,
    `                 (as a Fernet key: ${encodeBase64url(chunkKey)})`,
    `timestamp        ${vector.timestamp}`,
    `iv               ${vector.ivs[0]}`,
    `chunk 0 token    ${toHex(token.subarray(0, 25))}`,
    `                 ${toHex(token.subarray(25, token.length - 32))}`,
    `                 ${toHex(token.subarray(token.length - 32))}`,
    `                 (as a Fernet token: ${encodeBase64url(token)})`,
  ];
  return ['```', ...lines, '```'].join('\n');
}

const formatDoc = new URL('../docs/FORMAT.md', import.meta.url);
const example = await workedExample(stream[0]!);
writeFileSync(
  formatDoc,
  readFileSync(formatDoc, 'utf8').replace(
    /(<!-- worked-example:start -->\n)[\s\S]*?(<!-- worked-example:end -->)/,
    (_, start: string, end: string) => `${start}\n${example}\n\n${end}`,
  ),
);
console.log(`wrote the worked example to ${formatDoc.pathname}`);
