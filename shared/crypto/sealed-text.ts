/**
 * A short text sealed under a key and bound to its owner and object like a wrapped key (docs/FORMAT.md section 4):
 * the same payload, with the text's UTF-8 where a key would be, so that the server can neither read it nor move it to
 * another object. For names of things that are not files or folders (a passkey's label), which have no node key.
 */
import { fromUtf8, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { unwrapKey, wrapKey, type KeyBinding } from './wrap.ts';

export function sealText(key: Uint8Array, text: string, binding: KeyBinding): Promise<string> {
  return wrapKey(key, utf8(text), binding);
}

/** The text, or WRAPPED_KEY_INVALID when the token was altered or sealed for another purpose, owner or object. */
export async function openText(key: Uint8Array, sealed: string, binding: KeyBinding): Promise<string> {
  const bytes = await unwrapKey(key, sealed, binding);
  try {
    return fromUtf8(bytes);
  } catch {
    throw new CofferCryptoError('WRAPPED_KEY_INVALID', 'sealed text does not hold UTF-8 text');
  }
}
