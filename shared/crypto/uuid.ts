/**
 * Node, file and account ids are UUIDs; the format carries their 16 bytes. Each has one spelling, lower case with
 * hyphens, as the server's database writes it: another spelling of the same bytes would be another key for whatever
 * a device remembers by id (the versions it has seen, the keys it holds), so the format refuses it (FORMAT.md 5.3).
 */
import { fromHex, toHex } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `id` is a UUID in its one spelling: lower case, with hyphens. */
export function isCanonicalUuid(id: unknown): id is string {
  return typeof id === 'string' && CANONICAL_UUID.test(id);
}

export function uuidToBytes(uuid: string): Uint8Array<ArrayBuffer> {
  // The value is left out of the message: it may be a server's text, and this message may reach the page.
  if (!isCanonicalUuid(uuid)) throw new CofferCryptoError('BAD_ARGUMENT', 'an id is not a UUID in lower case');
  return fromHex(uuid.replaceAll('-', ''));
}

export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new CofferCryptoError('BAD_ARGUMENT', `a UUID is 16 bytes, got ${bytes.length}`);
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
