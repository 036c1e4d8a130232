/** HTTP byte ranges (RFC 9110 section 14): one range, or none; several ranges are answered with the whole body. */
import { ApiError } from './errors.ts';

export interface Range {
  start: number;
  end: number;
}

/** Parses a Range header against a body of `size` bytes: undefined means "send it all". */
export function parseRange(header: string | undefined, size: number): Range | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, first, last] = match;
  let range: Range;
  if (first === '') {
    range = { start: Math.max(0, size - Number(last)), end: size };
  } else {
    range = { start: Number(first), end: last === '' ? size : Math.min(size, Number(last) + 1) };
  }
  if (range.start >= size || range.end <= range.start) {
    throw new ApiError(416, 'RANGE_NOT_SATISFIABLE', `range ${header} is outside the ${size}-byte content`);
  }
  return range;
}
