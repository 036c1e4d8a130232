/** One chunk of a stream (docs/FORMAT.md section 3.2): a binary Fernet token under that chunk's own key. */
import { CofferCryptoError } from './errors.ts';
import {
  decryptToken,
  encryptToken,
  encryptTokenInto,
  MIN_TOKEN_BYTES,
  TOKEN_OVERHEAD_BYTES,
  type EncryptTokenOptions,
} from './fernet.ts';
import type { StreamKeys } from './stream-keys.ts';

export async function encryptChunk(
  keys: StreamKeys,
  index: number,
  final: boolean,
  plaintext: Uint8Array,
  options?: EncryptTokenOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  return encryptToken(await keys.chunkKey(index, final), plaintext, options);
}

/** Encrypts chunk `index` into `target` at `offset` (see encryptTokenInto), returning the token's length. */
export async function encryptChunkInto(
  keys: StreamKeys,
  index: number,
  final: boolean,
  plaintext: Uint8Array,
  target: Uint8Array<ArrayBuffer>,
  offset: number,
): Promise<number> {
  return encryptTokenInto(await keys.chunkKey(index, final), plaintext, target, offset);
}

/**
 * Decrypts chunk `index`. After a failure it tries the other final flag, which turns "failed" into the more useful
 * "truncated" or "trailing data"; both keys come from the same secret, so this tells an attacker nothing.
 */
export async function decryptChunk(
  keys: StreamKeys,
  index: number,
  final: boolean,
  token: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  if (final && !couldBeToken(token.length)) {
    throw new CofferCryptoError(
      'TRUNCATED',
      `stream ends inside chunk ${index} (${token.length} bytes cannot be a whole chunk)`,
    );
  }
  const plaintext = await tryDecrypt(keys, index, final, token);
  if (plaintext) {
    checkChunkLength(keys, index, final, plaintext.length);
    return plaintext;
  }
  if (await tryDecrypt(keys, index, !final, token)) {
    throw final
      ? new CofferCryptoError('TRUNCATED', `stream ends after chunk ${index}, which is not the final chunk`)
      : new CofferCryptoError('TRAILING_DATA', `chunk ${index} is the final chunk, but more data follows it`);
  }
  throw new CofferCryptoError(
    'CHUNK_INVALID',
    `chunk ${index} failed authentication (altered, reordered, duplicated, or from another file or revision)`,
  );
}

async function tryDecrypt(keys: StreamKeys, index: number, final: boolean, token: Uint8Array) {
  try {
    return await decryptToken(await keys.chunkKey(index, final), token);
  } catch (error) {
    if (error instanceof CofferCryptoError) return undefined;
    throw error;
  }
}

function couldBeToken(length: number): boolean {
  return length >= MIN_TOKEN_BYTES && (length - TOKEN_OVERHEAD_BYTES) % 16 === 0;
}

function checkChunkLength(keys: StreamKeys, index: number, final: boolean, length: number): void {
  const { chunkSize } = keys.params;
  const ok = final ? length <= chunkSize && (length > 0 || index === 0) : length === chunkSize;
  if (!ok) {
    throw new CofferCryptoError(
      'CHUNK_INVALID',
      `chunk ${index} holds ${length} bytes, expected ${final ? `1 to ${chunkSize}` : chunkSize}`,
    );
  }
}
