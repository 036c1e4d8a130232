/**
 * Orders strings by their UTF-16 code units, as `<` does: byte order for the ASCII strings it sorts (paths,
 * base64url ids), and the same order on every runtime and locale, which localeCompare is not. Whatever a hash or a
 * signature covers is sorted with it, so that each side builds the same bytes.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
