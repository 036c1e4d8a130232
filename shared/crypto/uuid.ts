/** Node and file ids are UUIDs; the format carries their 16 bytes. */
import { fromHex, toHex } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function uuidToBytes(uuid: string): Uint8Array<ArrayBuffer> {
  if (!UUID.test(uuid)) throw new CofferCryptoError('BAD_ARGUMENT', `not a UUID: ${JSON.stringify(uuid)}`);
  return fromHex(uuid.replaceAll('-', ''));
}

export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new CofferCryptoError('BAD_ARGUMENT', `a UUID is 16 bytes, got ${bytes.length}`);
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
