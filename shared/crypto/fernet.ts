/**
 * Fernet tokens, version 0x80, exactly as the Fernet specification (docs/FORMAT.md section 2): AES-128-CBC with
 * PKCS#7 padding, then HMAC-SHA256 over everything before the MAC. WebCrypto does all the cryptography.
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { own, view } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { FERNET_VERSION } from './labels.ts';

export const FERNET_KEY_BYTES = 32;
/** Version (1) + timestamp (8) + IV (16) before the ciphertext, HMAC (32) after it. */
const PREFIX_BYTES = 25;
const MAC_BYTES = 32;
export const TOKEN_OVERHEAD_BYTES = PREFIX_BYTES + MAC_BYTES;
/** An empty plaintext still encrypts to one block of padding. */
export const MIN_TOKEN_BYTES = TOKEN_OVERHEAD_BYTES + 16;
/** How far ahead of our clock a token's timestamp may be when a TTL is checked, as the reference implementations. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

export interface FernetKey {
  readonly signing: CryptoKey;
  readonly encryption: CryptoKey;
}

export interface EncryptTokenOptions {
  /** 16 bytes; random when absent. Only test vectors pass one. */
  iv?: Uint8Array;
  /** Seconds since the epoch; the current time when absent. */
  timestamp?: number;
}

export interface DecryptTokenOptions {
  /** Maximum token age in seconds; without it the timestamp is not checked. */
  ttlSeconds?: number;
  /** Seconds since the epoch to check the TTL against; the current time when absent. */
  now?: number;
}

const subtle = globalThis.crypto.subtle;

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export async function importFernetKey(raw: Uint8Array): Promise<FernetKey> {
  if (raw.length !== FERNET_KEY_BYTES) {
    throw new CofferCryptoError('BAD_KEY', `a Fernet key is ${FERNET_KEY_BYTES} bytes, got ${raw.length}`);
  }
  const [signing, encryption] = await Promise.all([
    subtle.importKey('raw', own(raw.slice(0, 16)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
    subtle.importKey('raw', own(raw.slice(16, 32)), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
  ]);
  return { signing, encryption };
}

/** Reads a key in its text form (base64url, as Python's Fernet.generate_key() writes it). */
export async function importFernetKeyText(text: string): Promise<FernetKey> {
  return importFernetKey(decodeKeyText(text));
}

export function decodeKeyText(text: string): Uint8Array<ArrayBuffer> {
  const raw = decodeBase64url(text.trim());
  if (raw.length !== FERNET_KEY_BYTES) {
    throw new CofferCryptoError('BAD_KEY', `a key is ${FERNET_KEY_BYTES} bytes of base64url, got ${raw.length} bytes`);
  }
  return raw;
}

/** Length of the token that a plaintext of `plaintextLength` bytes encrypts to. */
export function tokenLength(plaintextLength: number): number {
  return TOKEN_OVERHEAD_BYTES + 16 * (Math.floor(plaintextLength / 16) + 1);
}

/** Encrypts to the binary form of a token. */
export async function encryptToken(
  key: FernetKey,
  plaintext: Uint8Array,
  options: EncryptTokenOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const token = new Uint8Array(tokenLength(plaintext.length));
  await encryptTokenInto(key, plaintext, token, 0, options);
  return token;
}

/**
 * Encrypts into `target` at `offset`, where the token takes tokenLength(plaintext.length) bytes, and returns that
 * length. An upload sends many tokens as one request body, and writing each one in place saves copying every byte of
 * the file twice more (into its own token, then into the body).
 */
export async function encryptTokenInto(
  key: FernetKey,
  plaintext: Uint8Array,
  target: Uint8Array<ArrayBuffer>,
  offset: number,
  options: EncryptTokenOptions = {},
): Promise<number> {
  const length = tokenLength(plaintext.length);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > target.length) {
    throw new CofferCryptoError(
      'BAD_ARGUMENT',
      `a ${length}-byte token does not fit at offset ${offset} of a ${target.length}-byte buffer`,
    );
  }
  const iv = options.iv ?? globalThis.crypto.getRandomValues(new Uint8Array(16));
  if (iv.length !== 16) throw new CofferCryptoError('BAD_ARGUMENT', `a Fernet IV is 16 bytes, got ${iv.length}`);
  const ciphertext = new Uint8Array(
    await subtle.encrypt({ name: 'AES-CBC', iv: own(iv) }, key.encryption, own(plaintext)),
  );
  const token = target.subarray(offset, offset + length);
  token[0] = FERNET_VERSION;
  view(token).setBigUint64(1, BigInt(options.timestamp ?? nowSeconds()));
  token.set(iv, 9);
  token.set(ciphertext, PREFIX_BYTES);
  const signed = token.subarray(0, PREFIX_BYTES + ciphertext.length);
  token.set(new Uint8Array(await subtle.sign('HMAC', key.signing, signed)), signed.length);
  return length;
}

/** Decrypts the binary form of a token, checking the MAC (in constant time) before anything is decrypted. */
export async function decryptToken(
  key: FernetKey,
  token: Uint8Array,
  options: DecryptTokenOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  // Step 1: structure. These facts are public, so naming them leaks nothing.
  if (token.length < MIN_TOKEN_BYTES) {
    throw new CofferCryptoError(
      'TOKEN_MALFORMED',
      `a Fernet token is at least ${MIN_TOKEN_BYTES} bytes, got ${token.length}`,
    );
  }
  if (token[0] !== FERNET_VERSION) {
    throw new CofferCryptoError('TOKEN_MALFORMED', `Fernet version byte is 0x${token[0]!.toString(16)}, expected 0x80`);
  }
  if ((token.length - TOKEN_OVERHEAD_BYTES) % 16 !== 0) {
    throw new CofferCryptoError('TOKEN_MALFORMED', 'Fernet ciphertext is not a whole number of AES blocks');
  }
  const bytes = own(token);
  const signedEnd = bytes.length - MAC_BYTES;

  // Step 2: the MAC, compared in constant time by WebCrypto's verify.
  const authentic = await subtle.verify('HMAC', key.signing, bytes.subarray(signedEnd), bytes.subarray(0, signedEnd));
  if (!authentic) throw invalidToken();

  // Step 3: the clock, only when the caller asks for a TTL, as the reference implementations do.
  if (options.ttlSeconds !== undefined) {
    const timestamp = Number(view(bytes).getBigUint64(1));
    const now = options.now ?? nowSeconds();
    if (timestamp + options.ttlSeconds < now) {
      throw new CofferCryptoError(
        'TOKEN_EXPIRED',
        `token is ${now - timestamp} s old, the limit is ${options.ttlSeconds} s`,
      );
    }
    if (timestamp > now + MAX_CLOCK_SKEW_SECONDS) {
      throw new CofferCryptoError('TOKEN_FROM_FUTURE', `token is dated ${timestamp - now} s in the future`);
    }
  }

  // Step 4: decrypt; a padding failure here is reported exactly like a MAC failure.
  try {
    const iv = bytes.subarray(9, PREFIX_BYTES);
    return new Uint8Array(
      await subtle.decrypt({ name: 'AES-CBC', iv }, key.encryption, bytes.subarray(PREFIX_BYTES, signedEnd)),
    );
  } catch {
    throw invalidToken();
  }
}

function invalidToken(): CofferCryptoError {
  return new CofferCryptoError('TOKEN_INVALID', 'Fernet token failed authentication (wrong key or altered token)');
}

/** Encrypts to a token's text form, interoperable with every Fernet library. */
export async function encryptTokenText(
  key: FernetKey,
  plaintext: Uint8Array,
  options?: EncryptTokenOptions,
): Promise<string> {
  return encodeBase64url(await encryptToken(key, plaintext, options));
}

export async function decryptTokenText(
  key: FernetKey,
  text: string,
  options?: DecryptTokenOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  return decryptToken(key, decodeBase64url(text.trim()), options);
}

export function generateKey(): Uint8Array<ArrayBuffer> {
  return globalThis.crypto.getRandomValues(new Uint8Array(FERNET_KEY_BYTES));
}
