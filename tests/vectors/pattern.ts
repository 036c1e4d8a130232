/** The plaintext of every stream vector, so the vectors need not store it. */
export const VECTOR_PATTERN = 'plaintext byte i is i mod 251';

export function patternBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = i % 251;
  return out;
}
