/**
 * The shared inbox as the dashboard shows it: the files waiting (shared-inbox.ts), what My files already holds under
 * their names, and the user's decision on each. A shared file reaches the upload queue only when the user accepts it,
 * and becomes a new version of a file already there only when the user chooses to replace that file: the upload is
 * given that file as the only namesake it may version, and no namesake at all otherwise.
 */
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { drive } from '../files/drive.svelte.ts';
import { givenNameProblem, shownName, tidyName } from '../files/given-names.ts';
import { listChildren } from '../files/folder-listing.ts';
import type { OpenNode } from '../files/node-records.ts';
import { startUploads } from '../upload/start-uploads.ts';
import { keptBothName } from './kept-both-name.ts';
import {
  clearSharedFiles,
  discardSharedFile,
  listSharedFiles,
  readSharedFile,
  type SharedFile,
} from './shared-inbox.ts';

/** What to do with a shared file whose name My files already has. */
export type NamesakeChoice = 'keep-both' | 'replace' | 'skip';

export class SharedInboxList {
  files = $state.raw<SharedFile[]>([]);
  /** Items of My files that failed their checks: their names are not known, so a shared file may take one. */
  refused = $state(0);
  /** Every name in My files, and the names given to files accepted since the list was loaded. */
  readonly #taken = new SvelteSet<string>();
  /** The files of My files by name: the ones a shared file may replace. */
  readonly #filesHere = new SvelteMap<string, OpenNode>();

  async load(): Promise<void> {
    const files = await listSharedFiles();
    if (files.length > 0) {
      const { ring, root } = await drive.ready();
      const { opened: siblings, refused } = await listChildren(ring, root.id);
      this.refused = refused.length;
      this.#taken.clear();
      this.#filesHere.clear();
      for (const node of siblings) {
        this.#taken.add(node.name);
        if (node.kind === 'file' && !this.#filesHere.has(node.name)) this.#filesHere.set(node.name, node);
      }
    }
    this.files = files;
  }

  /** Whether My files already has something called this: then the user chooses what happens. */
  nameTaken(file: SharedFile): boolean {
    return this.#taken.has(tidyName(file.name));
  }

  /** Whether the name belongs to a file, which the shared one can replace (a folder cannot be). */
  canReplace(file: SharedFile): boolean {
    return this.#filesHere.has(tidyName(file.name));
  }

  /** The name "keep both" gives the shared file. */
  keptBothName(file: SharedFile): string {
    return keptBothName(tidyName(file.name), this.#taken);
  }

  /** Encrypts and uploads one file to My files as the user chose, then takes it out of the inbox. */
  async accept(file: SharedFile, choice: NamesakeChoice): Promise<void> {
    const name = tidyName(file.name);
    if (!this.nameTaken(file)) return this.#upload(file, name, []);
    if (choice === 'skip') return this.discard(file);
    if (choice === 'keep-both') return this.#upload(file, this.keptBothName(file), []);
    const replaced = this.#filesHere.get(name);
    if (!replaced) throw new Error(`"${shownName(name)}" cannot be replaced: keep both, or skip.`);
    await this.#upload(file, name, [replaced]);
    // Once per listing: a second version made from the same listing would claim the same revision number.
    this.#filesHere.delete(name);
  }

  /** `namesakes`: the only files the upload may add a version to (startUploads versions a sibling of the same name). */
  async #upload(file: SharedFile, name: string, namesakes: OpenNode[]): Promise<void> {
    // A path, to startUploads: a name with a "/" would make folders.
    const problem = givenNameProblem(name);
    if (problem) throw new Error(`"${shownName(name)}" cannot be saved: ${problem}.`);
    const { ring, root } = await drive.ready();
    await startUploads(ring, root, namesakes, [{ file: await readSharedFile(file.id), path: name }]);
    this.#taken.add(name);
    await this.discard(file);
  }

  async discard(file: SharedFile): Promise<void> {
    await discardSharedFile(file.id);
    this.files = this.files.filter((waiting) => waiting.id !== file.id);
  }

  async discardAll(): Promise<void> {
    await clearSharedFiles();
    this.files = [];
  }
}
