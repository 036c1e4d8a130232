/** Checks shared by the blob store drivers, so both reject the same arguments in the same way. */
import { checkBlobKey } from './blob-store.ts';
import type { ByteRange } from './blob-store.ts';

export function isBlobKey(key: string): boolean {
  try {
    checkBlobKey(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * A list prefix is '' or the beginning of some valid key ('users/', 'users/4', 'users/4/chunk.'). Anything else could
 * match no key, and for the filesystem driver a prefix like '../' would walk outside its root.
 */
export function checkBlobPrefix(prefix: string): string {
  if (prefix !== '' && !isBlobKey(prefix + 'x')) throw new TypeError(`invalid blob prefix: ${JSON.stringify(prefix)}`);
  return prefix;
}

export function checkBlobSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid blob size: ${size}`);
  return size;
}

/**
 * Throws a RangeError unless 0 <= start <= end <= size, all integers. Without `size` (not known yet) only the shape of
 * the range is checked.
 */
export function checkByteRange(range: ByteRange, size = Number.MAX_SAFE_INTEGER): ByteRange {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > size) {
    const within = size === Number.MAX_SAFE_INTEGER ? '' : ` of an object of ${size} bytes`;
    throw new RangeError(`invalid byte range ${start}-${end}${within}`);
  }
  return range;
}
