/**
 * Key wrapping (docs/FORMAT.md section 4). A wrapped key is a Fernet token whose authenticated payload names the
 * key's purpose, its owner and the object it opens; unwrapping checks all three, so a server that swaps wrapped keys
 * between users, objects or purposes is refused.
 */
import { concatBytes, fromUtf8, u16, u8, utf8, view } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import {
  decryptTokenText,
  encryptTokenText,
  importFernetKey,
  type EncryptTokenOptions,
  type FernetKey,
} from './fernet.ts';
import { hkdf, importHkdfKey } from './hkdf.ts';
import { LABEL_WRAP, WRAP_PAYLOAD_VERSION } from './labels.ts';
import { describeReceived } from './received.ts';

export const WRAPPING_SECRET_BYTES = 32;
const MAX_PURPOSE_BYTES = 64;
const MAX_ID_BYTES = 255;
const MAX_KEY_BYTES = 4096;

export interface KeyBinding {
  /** What the key is for, e.g. "file-key" (ASCII letters, digits and '-'). */
  purpose: string;
  /** Id of the user the key belongs to. */
  owner: string;
  /** Id of the object the key opens. */
  object: string;
}

export async function wrapKey(
  wrappingSecret: Uint8Array,
  key: Uint8Array,
  binding: KeyBinding,
  options?: EncryptTokenOptions,
): Promise<string> {
  return wrapKeyWith(await deriveWrappingKey(wrappingSecret), key, binding, options);
}

/** As wrapKey, under a wrapping key derived once (deriveWrappingKey) for many keys wrapped under one secret. */
export async function wrapKeyWith(
  wrappingKey: FernetKey,
  key: Uint8Array,
  binding: KeyBinding,
  options?: EncryptTokenOptions,
): Promise<string> {
  const fields = [
    checkField('purpose', utf8(binding.purpose), MAX_PURPOSE_BYTES),
    checkField('owner', utf8(binding.owner), MAX_ID_BYTES),
    checkField('object', utf8(binding.object), MAX_ID_BYTES),
    checkField('key', key, MAX_KEY_BYTES),
  ];
  if (!/^[a-z0-9-]+$/.test(binding.purpose)) {
    throw new CofferCryptoError(
      'BAD_ARGUMENT',
      `key purpose must be lower-case letters, digits and '-', got ${describeReceived(binding.purpose)}`,
    );
  }
  const payload = concatBytes(u8(WRAP_PAYLOAD_VERSION), ...fields.flatMap((field) => [u16(field.length), field]));
  return encryptTokenText(wrappingKey, payload, options);
}

/** Returns the key, or throws WRAPPED_KEY_INVALID for every kind of failure alike. */
export async function unwrapKey(
  wrappingSecret: Uint8Array,
  wrapped: string,
  expected: KeyBinding,
): Promise<Uint8Array> {
  return unwrapKeyWith(await deriveWrappingKey(wrappingSecret), wrapped, expected);
}

/** As unwrapKey, under a wrapping key derived once (deriveWrappingKey) for many keys wrapped under one secret. */
export async function unwrapKeyWith(
  wrappingKey: FernetKey,
  wrapped: string,
  expected: KeyBinding,
): Promise<Uint8Array> {
  let payload: Uint8Array;
  try {
    payload = await decryptTokenText(wrappingKey, wrapped);
  } catch (error) {
    if (error instanceof CofferCryptoError) throw invalidWrappedKey();
    throw error;
  }
  const parsed = parsePayload(payload);
  if (
    !parsed ||
    parsed.purpose !== expected.purpose ||
    parsed.owner !== expected.owner ||
    parsed.object !== expected.object
  ) {
    throw invalidWrappedKey();
  }
  return parsed.key;
}

/** The Fernet key that keys are wrapped with under `wrappingSecret` (docs/FORMAT.md section 4). */
export async function deriveWrappingKey(wrappingSecret: Uint8Array): Promise<FernetKey> {
  if (wrappingSecret.length !== WRAPPING_SECRET_BYTES) {
    throw new CofferCryptoError(
      'BAD_KEY',
      `a wrapping secret is ${WRAPPING_SECRET_BYTES} bytes, got ${wrappingSecret.length}`,
    );
  }
  return importFernetKey(await hkdf(await importHkdfKey(wrappingSecret), new Uint8Array(0), utf8(LABEL_WRAP)));
}

function checkField(name: string, bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length < 1 || bytes.length > max) {
    throw new CofferCryptoError('BAD_ARGUMENT', `wrapped-key ${name} must be 1 to ${max} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function parsePayload(payload: Uint8Array): (KeyBinding & { key: Uint8Array }) | undefined {
  if (payload[0] !== WRAP_PAYLOAD_VERSION) return undefined;
  const fields: Uint8Array[] = [];
  let offset = 1;
  for (const max of [MAX_PURPOSE_BYTES, MAX_ID_BYTES, MAX_ID_BYTES, MAX_KEY_BYTES]) {
    if (offset + 2 > payload.length) return undefined;
    const length = view(payload).getUint16(offset);
    offset += 2;
    if (length < 1 || length > max || offset + length > payload.length) return undefined;
    fields.push(payload.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== payload.length) return undefined;
  const [purpose, owner, object, key] = fields as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  try {
    return { purpose: fromUtf8(purpose), owner: fromUtf8(owner), object: fromUtf8(object), key: key.slice() };
  } catch {
    return undefined;
  }
}

function invalidWrappedKey(): CofferCryptoError {
  return new CofferCryptoError(
    'WRAPPED_KEY_INVALID',
    'wrapped key failed authentication or does not belong to this object',
  );
}
