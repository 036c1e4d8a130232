/** A sealed-text vector (docs/FORMAT.md section 4): a text sealed under a wrapping secret, with what it is bound to. */
import { toHex, utf8 } from '../../shared/crypto/bytes.ts';
import { encodeBase64url, wrapKey, type KeyBinding } from '../../shared/crypto/index.ts';
import { TIMESTAMP } from './deterministic.ts';

export async function sealedTextVector(
  name: string,
  wrappingSecret: Uint8Array,
  binding: KeyBinding,
  text: string,
  iv: Uint8Array,
) {
  return {
    name,
    wrappingSecret: encodeBase64url(wrappingSecret),
    ...binding,
    text,
    iv: toHex(iv),
    timestamp: TIMESTAMP,
    sealed: await wrapKey(wrappingSecret, utf8(text), binding, { iv, timestamp: TIMESTAMP }),
  };
}
