/**
 * What the property suites share: fixed seeds, so that CI replays exactly the same inputs and a failure names one
 * anyone can rerun; the generators of hostile inputs (any bytes, any text, a valid object altered); and the one
 * assertion every parser answers to: it returns, or it throws a CofferCryptoError with a code its module documents.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { CofferCryptoError, encodeBase64url, type CryptoErrorCode } from '../../shared/crypto/index.ts';

/** One seed for every suite: a counterexample is replayed with `{ seed: FUZZ_SEED, path }` from the failure report. */
export const FUZZ_SEED = 0x00c0ffee;

/** For properties that run WebCrypto on every input. */
export const FEW = { seed: FUZZ_SEED, numRuns: 25 } as const;
/** For properties that fail before any cryptography, or cost one HMAC. */
export const MANY = { seed: FUZZ_SEED, numRuns: 150 } as const;

/** Passes when `work` returns, or fails with a CofferCryptoError of one of `codes`; anything else is a parser bug. */
export async function returnsOrRefuses(work: () => unknown, codes: readonly CryptoErrorCode[]): Promise<unknown> {
  try {
    return await work();
  } catch (error) {
    expectRefusal(error, codes);
    return undefined;
  }
}

/** Passes only when `work` fails with a CofferCryptoError of one of `codes`; returns that error. */
export async function refuses(work: () => unknown, codes: readonly CryptoErrorCode[]): Promise<CofferCryptoError> {
  let outcome: { error: unknown } | undefined;
  try {
    await work();
  } catch (error) {
    outcome = { error };
  }
  expect(outcome, `expected a refusal with ${codes.join(' or ')}, but it was accepted`).toBeDefined();
  expectRefusal(outcome!.error, codes);
  return outcome!.error as CofferCryptoError;
}

export function expectRefusal(error: unknown, codes: readonly CryptoErrorCode[]): void {
  if (!(error instanceof CofferCryptoError)) throw error;
  expect(codes, `unexpected code ${error.code}: ${error.message}`).toContain(error.code);
}

/** Any bytes, short and long, including the empty array. */
export const anyBytes = (maxLength = 300) => fc.uint8Array({ maxLength });

/** Any text: printable ASCII, full Unicode, and base64url-shaped text (which gets past a decoder's first checks). */
export const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  anyBytes().map((bytes) => encodeBase64url(bytes)),
  anyBytes().map((bytes) => encodeBase64url(bytes, { padding: false })),
);

export const anyUuid = fc.uuid();

/** Unicode text without lone surrogates, which UTF-8 cannot carry: what an honest client could have written. */
export const anyWellFormedText = (maxLength = 60) => fc.string({ unit: 'grapheme', maxLength });

/**
 * `original` changed in one of the ways a hostile store can change bytes: one byte altered, the end cut off, bytes
 * added after it, or a run of bytes replaced by others (spliced). Never `original` itself.
 */
export function mutationOf(original: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = original.length;
  const flip = fc.record({ at: fc.nat(n - 1), xor: fc.integer({ min: 1, max: 255 }) }).map(({ at, xor }) => {
    const out = original.slice();
    out[at] = out[at]! ^ xor;
    return out;
  });
  const truncate = fc.nat(n - 1).map((length) => original.slice(0, length));
  const extend = fc.uint8Array({ minLength: 1, maxLength: 48 }).map((extra) => concat(original, extra));
  const splice = fc
    .record({ at: fc.nat(n), remove: fc.nat(48), insert: fc.uint8Array({ maxLength: 48 }) })
    .map(({ at, remove, insert }) => concat(original.subarray(0, at), insert, original.subarray(at + remove)));
  return fc.oneof(flip, truncate, extend, splice).filter((bytes) => !sameBytes(bytes, original));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Text a hostile server puts in what it sends. No refusal may repeat it: a parser's message can reach the page, and a
 * server's text there would speak in Coffer's voice. It is neither base64url nor a UUID, so no parser can accept it.
 */
export const SERVER_TEXT = '<server text: call +1 555 0100>';

/** Passes when `message` carries none of `values` (the server's text, or the ids it chose). */
export function expectNoServerText(message: string, values: readonly string[] = [SERVER_TEXT]): void {
  for (const value of values) expect(message, 'a refusal repeats what the server sent').not.toContain(value);
}
