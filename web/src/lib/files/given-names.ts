/**
 * Names as a user types them or a device hands them over: a picked or dropped file and the folders it came in, a new
 * folder's or a rename's name, a file shared to the app. Surrounding white space is trimmed, as FORMAT.md section 5
 * refuses it and a file system hardly shows it; what still breaks a rule is refused in words, naming the character,
 * before anything is encrypted or sent.
 */
import { FORBIDDEN_IN_NAMES, LONE_SURROGATE, nameProblem } from '$shared/crypto/index.ts';

/** The name to write for `given`. */
export function tidyName(given: string): string {
  return given.trim();
}

/** Why `given`, once tidied, cannot be a name, or null when it can. */
export function givenNameProblem(given: string): string | null {
  return nameProblem(tidyName(given));
}

const INVISIBLE = new RegExp(`${FORBIDDEN_IN_NAMES.source}|${LONE_SURROGATE.source}`, 'gu');

/**
 * `text` as a message may quote it: each invisible character a name may not hold as "<U+202E>", so that a refused
 * name cannot reorder or hide the message around it.
 */
export function shownName(text: string): string {
  return text.replace(INVISIBLE, (char) => `<U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
}
