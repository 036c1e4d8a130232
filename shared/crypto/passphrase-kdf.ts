/**
 * A passphrase's wrapping secret (docs/FORMAT.md section 4.1): Argon2id for every new wrap, PBKDF2-SHA256 for the
 * wraps made before it. The parameters come back from the server, so each way checks them against fixed bounds before
 * any work: a server can make a passphrase neither cheaper to guess nor so costly that unlocking hangs the page.
 */
import { argon2id } from 'hash-wasm';
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { own, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { describeReceived } from './received.ts';

export const PASSPHRASE_SALT_BYTES = 16;
const SECRET_BYTES = 32;
const KiB_PER_MiB = 1024;

export interface Argon2idParams {
  kdf: 'Argon2id';
  /** Memory, in KiB (RFC 9106's m). */
  memoryKiB: number;
  /** Passes over the memory (RFC 9106's t). */
  passes: number;
  /** Lanes (RFC 9106's p). */
  parallelism: number;
  /** 16 bytes, base64url. */
  salt: string;
}

/** The way every wrap was made before Argon2id; still unlocked, and replaced by an Argon2id wrap at that unlock. */
export interface Pbkdf2Params {
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  /** 16 bytes, base64url. */
  salt: string;
}

export type PassphraseParams = Argon2idParams | Pbkdf2Params;

/** What new wraps use: well within the time an unlock may take on a slow 2-core machine (docs/BENCHMARKS.md, "Crypto"). */
export const DEFAULT_ARGON2ID = { memoryKiB: 64 * KiB_PER_MiB, passes: 3, parallelism: 1 } as const;

/**
 * What this client accepts. The floor is OWASP's (19 MiB, and 19 MiB × 2 passes of work in all); the ceilings keep an
 * unlock to seconds: 1 GiB of memory, and 2 GiB × passes of work in all, ten times the default's.
 */
export const ARGON2ID_BOUNDS = {
  memoryKiB: { min: 19 * KiB_PER_MiB, max: 1024 * KiB_PER_MiB },
  passes: { min: 1, max: 10 },
  parallelism: { min: 1, max: 4 },
  /** memoryKiB × passes. */
  work: { min: 2 * 19 * KiB_PER_MiB, max: 2 * 1024 * KiB_PER_MiB },
} as const;

/** Below this, a PBKDF2 wrap is refused whatever the server says (threat model row 5: no downgrade). */
export const MIN_PASSPHRASE_ITERATIONS = 600_000;
export const MAX_PASSPHRASE_ITERATIONS = 10_000_000;

export function newPassphraseParams(): Argon2idParams {
  const salt = crypto.getRandomValues(new Uint8Array(PASSPHRASE_SALT_BYTES));
  return { kdf: 'Argon2id', ...DEFAULT_ARGON2ID, salt: encodeBase64url(salt, { padding: false }) };
}

/** Whether a wrap under these parameters should be replaced by one under newPassphraseParams() once it unlocks. */
export function isLegacyPassphraseKdf(params: PassphraseParams): boolean {
  return params.kdf !== 'Argon2id';
}

/** The passphrase is normalized to NFC first, so that an accent typed composed or decomposed is the same passphrase. */
export async function passphraseWrappingSecret(passphrase: string, params: PassphraseParams): Promise<Uint8Array> {
  const salt = checkedSalt(params.salt);
  const input = utf8(passphrase.normalize('NFC'));
  if (params.kdf === 'Argon2id') {
    checkArgon2id(params);
    return deriveArgon2id(input, salt, params);
  }
  if (params.kdf === 'PBKDF2-SHA256') {
    checkPbkdf2(params);
    return derivePbkdf2(input, salt, params);
  }
  const kdf: unknown = (params as { kdf?: unknown }).kdf;
  throw new CofferCryptoError(
    'WEAK_PARAMETERS',
    `a passphrase KDF is "Argon2id" or "PBKDF2-SHA256", got ${describeReceived(kdf)}`,
  );
}

function checkedSalt(text: unknown): Uint8Array {
  if (typeof text !== 'string') throw new CofferCryptoError('WEAK_PARAMETERS', 'the salt is missing');
  const salt = decodeBase64url(text);
  if (salt.length !== PASSPHRASE_SALT_BYTES) {
    throw new CofferCryptoError('WEAK_PARAMETERS', `the salt is ${PASSPHRASE_SALT_BYTES} bytes, got ${salt.length}`);
  }
  return salt;
}

function checkRange(name: string, value: unknown, { min, max }: { min: number; max: number }): void {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new CofferCryptoError(
      'WEAK_PARAMETERS',
      `${name} must be a whole number of at least ${min}, got ${describeReceived(value)}`,
    );
  }
  if ((value as number) > max) {
    throw new CofferCryptoError(
      'PARAMETERS_TOO_COSTLY',
      `${name} must be at most ${max}, got ${describeReceived(value)}`,
    );
  }
}

function checkArgon2id(params: Argon2idParams): void {
  checkRange('Argon2id memoryKiB', params.memoryKiB, ARGON2ID_BOUNDS.memoryKiB);
  checkRange('Argon2id passes', params.passes, ARGON2ID_BOUNDS.passes);
  checkRange('Argon2id parallelism', params.parallelism, ARGON2ID_BOUNDS.parallelism);
  checkRange('Argon2id memoryKiB × passes', params.memoryKiB * params.passes, ARGON2ID_BOUNDS.work);
}

function checkPbkdf2(params: Pbkdf2Params): void {
  checkRange('PBKDF2 iterations', params.iterations, {
    min: MIN_PASSPHRASE_ITERATIONS,
    max: MAX_PASSPHRASE_ITERATIONS,
  });
}

/** Argon2id version 0x13 (RFC 9106), no secret, no associated data. */
async function deriveArgon2id(input: Uint8Array, salt: Uint8Array, params: Argon2idParams): Promise<Uint8Array> {
  return argon2id({
    password: input,
    salt,
    memorySize: params.memoryKiB,
    iterations: params.passes,
    parallelism: params.parallelism,
    hashLength: SECRET_BYTES,
    outputType: 'binary',
  });
}

async function derivePbkdf2(input: Uint8Array, salt: Uint8Array, params: Pbkdf2Params): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', own(input), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: own(salt), iterations: params.iterations },
    key,
    SECRET_BYTES * 8,
  );
  return new Uint8Array(bits);
}
