/**
 * What a received value is, in fixed words: its kind and size, never the value itself. Error messages describe what
 * the server, a link or a file gave with this, so that no message shown to the user carries words the sender chose
 * (a misleading instruction, or text made to look like the app's own).
 */
export function describeReceived(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length === 0 ? 'empty text' : `text of ${value.length} characters`;
  // A whole number's digits carry no words; any other number is described.
  if (typeof value === 'number') return Number.isSafeInteger(value) ? `${value}` : 'a number that is not whole';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  if (typeof value === 'object') return 'an object';
  return `a value of type ${typeof value}`;
}
