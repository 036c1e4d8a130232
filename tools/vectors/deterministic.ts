/** The fixed randomness every vector is made from, so that `npm run vectors` writes the same bytes each time. */
import { createECDH, createHash } from 'node:crypto';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import type { VectorJwk } from '../../tests/vectors/keys.ts';

/** Every token in the vectors carries this Fernet timestamp. */
export const TIMESTAMP = 1_795_000_000;

/** Deterministic bytes: SHA-256 of the seed and a counter, so the vectors are reproducible. */
export function deterministicRandom(seed: string) {
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

/** A P-256 key pair from a seed: the private scalar is SHA-256 of the seed (below the group order, as it is here). */
export function seededJwk(seed: string): VectorJwk {
  const d = createHash('sha256').update(seed).digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const b64 = (bytes: Uint8Array) => encodeBase64url(bytes, { padding: false });
  return { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)), d: b64(d) };
}
