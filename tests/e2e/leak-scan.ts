/**
 * Searching what reached the server for secrets that must never leave the browser: every request a browser sent that
 * the server received (with its body), the server's own record of the requests, its log, every row of its database
 * and every blob it stored, each secret looked for in the clear and in the encodings a leak would take.
 */
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { BrowserContext } from 'playwright';
import { expect } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { concatBytes, u32, u64, u8, utf8 } from '../../shared/crypto/bytes.ts';
import { hkdf, importHkdfKey } from '../../shared/crypto/hkdf.ts';
import { unwrapNodeKey } from '../../shared/crypto/index.ts';
import { LABEL_STREAM_CHUNK, LABEL_STREAM_HEADER } from '../../shared/crypto/labels.ts';
import { HEADER_BYTES, readHeaderFields } from '../../shared/crypto/stream-header.ts';
import { queryRows } from '../../tools/harness/test-databases.ts';
import type { AppServer } from './app-server.ts';

/** A request as a browser sent it: its headers one `name: value` a line, and its body (empty when it had none). */
export interface CapturedRequest {
  url: string;
  headers: string;
  body: Buffer;
}

/** Records in `captured` every request of `context`'s pages and their dedicated workers. */
export function recordRequests(context: BrowserContext, captured: CapturedRequest[]): void {
  context.on('request', (request) => {
    captured.push({
      url: request.url(),
      headers: Object.entries(request.headers())
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n'),
      body: request.postDataBuffer() ?? Buffer.alloc(0),
    });
  });
}

/**
 * Runs in every page before its own scripts and hands the test a copy of each secret key the page's WebCrypto sees:
 * raw symmetric keys and key material (the PRF output, the master key, node and file keys, derived Fernet keys, ECDH
 * shared secrets) and private keys, as hex. Public keys (raw EC points, SPKI) are left out: they are meant to be sent.
 */
function keepSecretKeys(): void {
  const keep = (window as unknown as { keepSecretKey: (hex: string) => void }).keepSecretKey;
  const hex = (data: BufferSource) => {
    const bytes = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  };
  const named = (algorithm: AlgorithmIdentifier | { name: string }) =>
    typeof algorithm === 'string' ? algorithm : algorithm.name;
  const { importKey, exportKey } = SubtleCrypto.prototype;
  SubtleCrypto.prototype.importKey = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto['importKey']>) {
    const [format, data, algorithm] = args;
    const publicPoint = format === 'raw' && ['ECDH', 'ECDSA'].includes(named(algorithm));
    if ((format === 'raw' && !publicPoint) || format === 'pkcs8') keep(hex(data as BufferSource));
    return (importKey as (...all: unknown[]) => Promise<CryptoKey>).apply(this, args);
  } as SubtleCrypto['importKey'];
  SubtleCrypto.prototype.exportKey = async function (this: SubtleCrypto, format: KeyFormat, key: CryptoKey) {
    const exported = await (exportKey as (format: KeyFormat, key: CryptoKey) => Promise<ArrayBuffer | JsonWebKey>).call(
      this,
      format,
      key,
    );
    if (key.type !== 'public' && exported instanceof ArrayBuffer) keep(hex(exported));
    return exported;
  } as SubtleCrypto['exportKey'];
}

/** Records in `keys`, as hex, every secret key the pages of `context` hand to WebCrypto (see keepSecretKeys). */
export async function recordSecretKeys(context: BrowserContext, keys: Set<string>): Promise<void> {
  await context.exposeFunction('keepSecretKey', (hex: string) => keys.add(hex));
  await context.addInitScript(keepSecretKeys);
}

/**
 * The key of every file in the database, which upload workers made where the pages' WebCrypto hooks do not reach:
 * each opened from its wrap with the one of `folderKeys` (keys the pages held) that opens it.
 */
export async function fileKeys(db: Database, folderKeys: Buffer[]): Promise<Map<string, Buffer>> {
  const files = await queryRows<{ id: string; parent_id: string; owner_id: string; wrapped_key: string }>(
    db,
    sql`select id, parent_id, owner_id, wrapped_key from nodes where kind = 'file'`,
  );
  const candidates = folderKeys.filter((key) => key.length === 32);
  const opened = await Promise.all(
    files.map(async (file) => {
      const place = { ownerId: file.owner_id, nodeId: file.id, parentId: file.parent_id, kind: 'file' as const };
      const key = await Promise.any(
        candidates.map((parentKey) => unwrapNodeKey(new Uint8Array(parentKey), file.wrapped_key, place)),
      );
      return [file.id, Buffer.from(key)] as const;
    }),
  );
  return new Map(opened);
}

/**
 * The keys every revision's stream derives from its file's key (docs/FORMAT.md 3), raw: the header's MAC key, and
 * each chunk's Fernet key with its signing and encryption halves. Workers derive them, where the hooks do not reach.
 */
export async function streamKeys(db: Database, keysByFile: Map<string, Buffer>): Promise<Buffer[]> {
  const revisions = await queryRows<{ node_id: string; header: string; chunk_count: number }>(
    db,
    sql`select node_id, encode(header, 'hex') as header, chunk_count from revisions`,
  );
  const derived: Buffer[] = [];
  for (const revision of revisions) {
    const fileKey = keysByFile.get(revision.node_id);
    if (!fileKey) throw new Error(`no file key opened for the revision of node ${revision.node_id}`);
    const header = Buffer.from(revision.header, 'hex');
    const { fileId, revision: number, nonce } = readHeaderFields(header);
    const ikm = await importHkdfKey(fileKey);
    const headerKey = Buffer.from(await hkdf(ikm, nonce, utf8(LABEL_STREAM_HEADER)));
    // The derivation is right only if the key authenticates the header as stored, so the search is not for keys that
    // were never used.
    const mac = createHmac('sha256', headerKey)
      .update(header.subarray(0, HEADER_BYTES - 32))
      .digest();
    if (!mac.equals(header.subarray(HEADER_BYTES - 32, HEADER_BYTES))) {
      throw new Error(`the header key derived for node ${revision.node_id} does not authenticate its header`);
    }
    derived.push(headerKey);
    for (let index = 0; index < revision.chunk_count; index++) {
      const final = index === revision.chunk_count - 1;
      const info = concatBytes(utf8(LABEL_STREAM_CHUNK), u8(0), fileId, u32(number), u64(index), u8(final ? 1 : 0));
      const chunkKey = Buffer.from(await hkdf(ikm, nonce, info));
      derived.push(chunkKey, chunkKey.subarray(0, 16), chunkKey.subarray(16));
    }
  }
  return derived;
}

/**
 * The characters of `bytes` in base64 (or base64url) that stay the same wherever the bytes sit in a longer encoded
 * value, for the bytes starting `shift` bytes past a 3-byte boundary: the characters that mix in bits of the bytes
 * before or after (or of the padding) are left out. Without the shifted forms, a key encoded inside a larger value
 * (a JSON body encoded whole, a token) would be found only a third of the time.
 */
function base64Core(bytes: Buffer, shift: number, encoding: 'base64' | 'base64url'): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(encoding);
  return encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
}

/** A secret's bytes in the clear and in the encodings a leak could take, by the encoding's name. */
export const namedLeakForms = (bytes: Buffer): Record<string, string> => ({
  raw: bytes.toString('latin1'),
  hex: bytes.toString('hex'),
  'hex in upper case': bytes.toString('hex').toUpperCase(),
  ...Object.fromEntries(
    (['base64', 'base64url'] as const).flatMap((encoding) =>
      [0, 1, 2].map((shift) => [`${encoding} at byte ${shift} of 3`, base64Core(bytes, shift, encoding)]),
    ),
  ),
});

/** A secret's bytes in the clear and in the encodings a leak could take. */
export const leakForms = (bytes: Buffer): string[] => Object.values(namedLeakForms(bytes));

/** What the server keeps: every row of every table as JSON text, and the bytes of every blob. */
export async function serverStore(server: AppServer): Promise<{ database: string[]; blobs: Buffer[] }> {
  const tables = await queryRows<{ table_name: string }>(
    server.db,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const database: string[] = [];
  for (const { table_name: table } of tables) {
    const rows = await queryRows<{ row: string }>(
      server.db,
      sql.raw(`select row_to_json(t)::text as row from "${table}" t`),
    );
    database.push(...rows.map(({ row }) => row));
  }
  const blobs = readdirSync(server.blobRoot, { recursive: true, encoding: 'utf8' })
    .map((path) => join(server.blobRoot, path))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path));
  return { database, blobs };
}

/**
 * Everything that reached the server as text: the captured requests it received (a service worker answers some on the
 * device), with their bodies; its own record of every request; its log; and the database's rows.
 */
export function reachedServer(server: AppServer, captured: CapturedRequest[], database: string[]): string[] {
  const reached = new Set(server.received.map((request) => request.url));
  return [
    ...captured
      .filter((request) => reached.has(request.url))
      .map((request) => `${request.url}\n${request.headers}\n${request.body.toString('latin1')}`),
    ...server.received.map((request) => `${request.url}\n${request.headers}`),
    ...server.logged,
    ...database,
  ];
}

/** Expects no secret in any text in any of its forms, nor its bytes in any blob; a failure names where it was found. */
export function expectNoLeak(secrets: Buffer[], texts: string[], blobs: Buffer[]): void {
  for (const secret of secrets) {
    const forms = leakForms(secret);
    expect(texts.filter((text) => forms.some((form) => text.includes(form))).map((text) => text.slice(0, 120))).toEqual(
      [],
    );
    for (const blob of blobs) expect(blob.includes(secret)).toBe(false);
  }
}

/** Something a test searches for secrets: what and where it is, and its bytes. */
export interface LeakPlace {
  where: string;
  bytes: Buffer;
}

/** Every file under `dir`, each named `label` with its path in `dir`. */
export function filesIn(label: string, dir: string): LeakPlace[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => ({ where: `${label} ${path}`, bytes: readFileSync(join(dir, path)) }));
}

/** Where each secret (by name) shows in any of its forms, as `name as form in where`; none found is the pass. */
export function findLeaks(secrets: Map<string, Buffer>, places: LeakPlace[]): string[] {
  const found: string[] = [];
  for (const [name, secret] of secrets) {
    for (const [form, text] of Object.entries(namedLeakForms(secret))) {
      const bytes = Buffer.from(text, 'latin1');
      for (const place of places) if (place.bytes.includes(bytes)) found.push(`${name} as ${form} in ${place.where}`);
    }
  }
  return found;
}
