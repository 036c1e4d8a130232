import { expect } from 'vitest';
import { concatBytes } from '../../shared/crypto/bytes.ts';
import { CofferCryptoError, type CryptoErrorCode } from '../../shared/crypto/index.ts';

/**
 * Asserts that `work` fails with a CofferCryptoError of exactly this code, and, given `message`, a message that
 * matches it (one that says what was received and what was expected).
 */
export async function expectCode(work: Promise<unknown>, code: CryptoErrorCode, message?: RegExp): Promise<void> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected ${code}, but it succeeded`).toBeInstanceOf(CofferCryptoError);
  expect((error as CofferCryptoError).code).toBe(code);
  if (message) expect((error as CofferCryptoError).message).toMatch(message);
}

/** Compares byte arrays quickly (toEqual is slow on large typed arrays), naming the first difference. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length, 'length').toBe(expected.length);
  const at = actual.findIndex((byte, i) => byte !== expected[i]);
  expect(at, `first differing byte`).toBe(-1);
}

/** Reads `stream` until it ends or fails: every piece it released, and the error it failed with (undefined if none). */
export async function readUntilError(
  stream: ReadableStream<Uint8Array>,
): Promise<{ released: Uint8Array; error: unknown }> {
  const reader = stream.getReader();
  const pieces: Uint8Array[] = [];
  const error = await (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      pieces.push(value);
    }
  })().catch((caught: unknown) => caught);
  return { released: concatBytes(...pieces), error };
}
