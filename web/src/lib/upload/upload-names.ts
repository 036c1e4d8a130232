/**
 * The names picked files are uploaded under: each part of a file's path (the folders it came in, then its own name)
 * tidied as given-names.ts does, and the whole batch refused, before any folder is made, at the first path with a
 * part that cannot be a name.
 */
import { givenNameProblem, shownName, tidyName } from '../files/given-names.ts';
import type { PickedFile } from './picked-files.ts';

export interface NamedUpload {
  file: File;
  /** The folders to make or reuse, outermost first, by the names they get. */
  folders: string[];
  name: string;
}

export function namedUploads(picked: PickedFile[]): NamedUpload[] {
  return picked.map(({ file, path }) => {
    // "" parts are the ends of a path that begins or ends with "/", not names.
    const parts = path.split('/').filter((part) => part !== '');
    if (parts.length === 0) parts.push(file.name);
    for (const part of parts) {
      const problem = givenNameProblem(part);
      if (problem) throw new Error(`"${shownName(path)}" cannot be uploaded: ${problem}.`);
    }
    const names = parts.map(tidyName);
    return { file, folders: names.slice(0, -1), name: names.at(-1)! };
  });
}
