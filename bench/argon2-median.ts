/** One figure of `npm run bench:argon2`, the same code in Node and in the Chromium page. */
import { passphraseWrappingSecret, type PassphraseParams } from '../shared/crypto/index.ts';

/** The median of `rounds` derivations of a wrapping secret, one at a time, in milliseconds. */
export async function medianMs(params: PassphraseParams, rounds: number): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    await passphraseWrappingSecret('correct horse battery staple', params);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
