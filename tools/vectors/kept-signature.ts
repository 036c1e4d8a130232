/**
 * WebCrypto's ECDSA signatures are randomized: a signature from the previous run is kept when it signed the same bytes
 * and still verifies, so that `npm run vectors` changes the file only when the format does.
 */
import { toHex } from '../../shared/crypto/bytes.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';

/** The previous run's signature over `signedBytes` when it still verifies under `publicKey`, or a new one from `sign`. */
export async function keptSignature(
  before: { signedBytes: string; signature: string } | undefined,
  signedBytes: Uint8Array<ArrayBuffer>,
  publicKey: CryptoKey,
  sign: () => Promise<string>,
): Promise<string> {
  const keep =
    before?.signedBytes === toHex(signedBytes) &&
    (await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      publicKey,
      decodeBase64url(before.signature),
      signedBytes,
    ));
  return keep ? before.signature : sign();
}
