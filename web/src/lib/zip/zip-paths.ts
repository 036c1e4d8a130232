/**
 * Entry names: checked so that no archive we make can write outside the folder it is extracted into, and made
 * unique so that extracting never silently overwrites one file with another.
 */

/** An entry the archive cannot hold as given (its path, size or date); `path` is the path as the caller gave it. */
export class ZipEntryError extends Error {
  override name = 'ZipEntryError';

  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`Zip entry ${JSON.stringify(path)}: ${message}`);
  }
}

/** Name lengths are 16-bit fields in every header. */
const MAX_NAME_BYTES = 0xffff;

const encoder = new TextEncoder();

/**
 * The segments of `path` with separators normalised to '/', or a ZipEntryError saying why the path is refused.
 * A folder's path ends with '/', a file's does not.
 */
function segmentsOf(path: string, folder: boolean): string[] {
  const refuse = (why: string) => new ZipEntryError(path, why);
  const normalised = path.replaceAll('\\', '/');
  if (normalised.includes('\0')) throw refuse('a NUL character ends the name early in most unzip tools');
  // UTF-8 cannot encode them: TextEncoder would turn them into U+FFFD, and two different names into one.
  if (/\p{Cs}/u.test(normalised)) throw refuse('an unpaired UTF-16 surrogate has no UTF-8 form');
  // Both kinds of absolute path: extracting them would ignore the destination folder.
  if (normalised.startsWith('/') || /^[A-Za-z]:/.test(normalised)) throw refuse('absolute paths are not allowed');
  if (normalised.endsWith('/') !== folder)
    throw refuse(folder ? "a folder's path must end with '/'" : "a file's path must not end with '/'");
  const segments = (folder ? normalised.slice(0, -1) : normalised).split('/');
  for (const segment of segments) {
    if (segment === '..') throw refuse("'..' segments could write outside the destination folder");
    // '.' and '' name nothing: unzip tools disagree on what to do with them.
    if (segment === '' || segment === '.') throw refuse("empty and '.' segments are not allowed");
  }
  return segments;
}

/**
 * "report.pdf" → "report (2).pdf", "backup.tar.gz" → "backup (2).tar.gz" (as browsers number downloads); a folder, a
 * dotfile or a name without extension takes the suffix at its end.
 */
function numbered(name: string, n: number, folder: boolean): string {
  const dot = folder ? -1 : name.search(/(\.tar)?\.[^.]*$/i);
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/**
 * The names given out so far. Two names clash when they differ only by case or Unicode normalisation, as they
 * would on Windows' and macOS' default file systems; a folder clashes with a file of the same name too, as on every
 * file system. The later entry is renamed "name (2)", "name (3)"… and a renamed folder stays renamed for all the
 * entries inside it.
 */
export class EntryNames {
  private readonly files = new Set<string>();
  /** Folder key → the folder's name in the archive; a renamed folder is also found under its original key. */
  private readonly folders = new Map<string, string>();
  /** Keys of the folders that have an entry of their own (the others exist only as parents of entries). */
  private readonly folderEntries = new Set<string>();

  /**
   * The name to store for an entry, encoded as UTF-8, or undefined for a folder that already has its entry (the
   * same folder twice is one folder, not a clash).
   */
  claim(path: string, folder: boolean): Uint8Array | undefined {
    const segments = segmentsOf(path, folder);
    // The archive name of the folder so far: '' or ending with '/'.
    let parent = '';
    for (const segment of folder ? segments : segments.slice(0, -1)) parent = this.folder(parent, segment);
    let name: string;
    if (folder) {
      const key = keyOf(parent);
      if (this.folderEntries.has(key)) return undefined;
      this.folderEntries.add(key);
      name = parent;
    } else {
      const base = segments.at(-1)!;
      let candidate = parent + base;
      for (let n = 2; this.taken(keyOf(candidate)); n++) candidate = parent + numbered(base, n, false);
      this.files.add(keyOf(candidate));
      name = candidate;
    }
    const encoded = encoder.encode(name);
    if (encoded.length > MAX_NAME_BYTES) throw new ZipEntryError(path, `longer than ${MAX_NAME_BYTES} bytes`);
    return encoded;
  }

  /** The archive name, ending with '/', of folder `segment` inside `parent` (an archive name too), creating it. */
  private folder(parent: string, segment: string): string {
    const key = keyOf(parent + segment);
    const existing = this.folders.get(key);
    if (existing !== undefined) return `${existing}/`;
    let name = parent + segment;
    for (let n = 2; this.taken(keyOf(name)); n++) name = parent + numbered(segment, n, true);
    this.folders.set(key, name);
    this.folders.set(keyOf(name), name);
    return `${name}/`;
  }

  private taken(key: string): boolean {
    return this.files.has(key) || this.folders.has(key);
  }
}

function keyOf(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
