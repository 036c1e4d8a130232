/** One folder on screen: its path from the root, its children opened on this device, and how they are shown. */
import { SvelteSet } from 'svelte/reactivity';
import { ApiRequestError } from '$lib/api.ts';
import { contacts } from '$lib/contacts/contacts.svelte.ts';
import { accountState } from '$lib/account.svelte.ts';
import { authorRules } from '$lib/files/author-rules.ts';
import { drive } from '$lib/files/drive.svelte.ts';
import { listChildren, openPath } from '$lib/files/folder-listing.ts';
import type { OpenNode } from '$lib/files/node-records.ts';
import { openSeenVersions } from '$lib/integrity/seen-versions.ts';
import { requestLinkLabels } from '$lib/requests/owner-requests.ts';
import { syncEditorRoster } from '$lib/sharing/editor-roster.ts';
import type { GrantRole } from '$shared/crypto/index.ts';

export type SortKey = 'name' | 'modified' | 'size';
export type Layout = 'list' | 'grid';

const LAYOUT_KEY = 'coffer.layout';
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export class FolderView {
  folder = $state.raw<OpenNode | null>(null);
  /** From the root down to this folder. */
  path = $state.raw<OpenNode[]>([]);
  children = $state.raw<OpenNode[]>([]);
  /** Children that failed their integrity check and are not shown. */
  refused = $state(0);
  /** What the folder's signed manifest says the server left out or rolled back, in plain words. */
  warnings = $state.raw<string[]>([]);
  loading = $state(true);
  error = $state('');
  sortKey = $state<SortKey>('name');
  descending = $state(false);
  filter = $state('');
  layout = $state<Layout>(localStorage.getItem(LAYOUT_KEY) === 'grid' ? 'grid' : 'list');
  selected = new SvelteSet<string>();
  /**
   * What the account may do here: everything in its own tree; in a folder shared with it, what the share's role
   * allows. The server enforces it either way; this only leaves out what it would refuse.
   */
  role = $state<GrantRole | 'owner'>('owner');
  #loads = 0;
  #loading: Promise<void> = Promise.resolve();

  /** Folders first, then files; both sorted by the chosen key and filtered by name, on the device. */
  shown = $derived.by(() => {
    const needle = this.filter.trim().toLocaleLowerCase();
    const matching = needle
      ? this.children.filter((node) => node.name.toLocaleLowerCase().includes(needle))
      : this.children;
    const direction = this.descending ? -1 : 1;
    const compare = (a: OpenNode, b: OpenNode) => {
      if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
      const byKey =
        this.sortKey === 'name'
          ? collator.compare(a.name, b.name)
          : this.sortKey === 'size'
            ? a.size - b.size
            : a.modified - b.modified;
      return direction * (byKey || collator.compare(a.name, b.name));
    };
    return [...matching].sort(compare);
  });

  selectedNodes = $derived(this.children.filter((node) => this.selected.has(node.id)));

  /** The labels of the request links the folder's files came through, by link id ("from request link <label>"). */
  requestLabels = $state.raw<ReadonlyMap<string, string>>(noLabels());

  async #loadRequestLabels(children: OpenNode[]): Promise<void> {
    const account = accountState.account;
    if (!account || !children.some((node) => node.requestLinkId && node.ownerId === account.userId)) return;
    this.requestLabels = await requestLinkLabels(account).catch(noLabels);
  }

  load(folderId: string | undefined): Promise<void> {
    this.#loading = this.#load(folderId);
    return this.#loading;
  }

  /**
   * The folder on screen once it has opened. Files picked or dropped while it is still opening are for it, and must not
   * be dropped on the floor because the picker was quicker than the listing.
   */
  async opened(): Promise<OpenNode> {
    let awaited: Promise<void>;
    do {
      awaited = this.#loading;
      await awaited;
    } while (awaited !== this.#loading);
    if (this.folder) return this.folder;
    throw new Error(this.error || 'This folder did not open, so there is nowhere to put these files.');
  }

  async #load(folderId: string | undefined): Promise<void> {
    const load = ++this.#loads;
    this.loading = true;
    this.error = '';
    try {
      const { ring, root } = await drive.ready();
      // A folder outside the account's tree opens from a share's anchor: the shares are read first.
      // Failing that, a shared folder is refused when it opens, and the account's own open as ever.
      if (folderId && folderId !== root.id) await drive.received().catch(() => undefined);
      // Whoever added an item is named as pinned in the contacts ("added by @bob"), when they load.
      contacts.ready().catch(() => undefined);
      const path = folderId && folderId !== root.id ? await openPath(ring, folderId) : [root];
      const received = path[0]!.id === root.id ? undefined : await drive.received().catch(() => undefined);
      const share = received?.shares.find(({ share, accepted }) => accepted && share.nodeId === path[0]!.id);
      const folder = path.at(-1)!;
      if (folder.kind !== 'folder') throw new Error('This is a file, not a folder.');
      const seen = openSeenVersions(accountState.account!.userId);
      const authors = await authorRules({
        account: accountState.account!,
        contacts: await contacts.ready().catch(() => []),
        folderId: folder.id,
        ownerId: folder.ownerId,
        above: path.map((node) => node.id),
        share,
        seen,
      });
      const { opened, refused, warnings, unsigned } = await listChildren(ring, folder.id, authors, seen);
      if (load !== this.#loads) return;
      // Trust on first use: the owner's device signs what it finds in a folder no one has signed yet, only when every
      // item opened cleanly. Failing that the folder stays as it was, and the next visit tries again.
      if (unsigned && refused.length === 0 && folder.ownerId === accountState.account!.userId) {
        ring.folderChanged(folder.id).catch(() => undefined);
      }
      // A folder shared before editor rosters, or whose roster names an editor whose grant is gone, gets one from its
      // owner's device; it never adds an editor the roster does not name (sharing/own-roster.ts).
      // Never from a contact list that did not load: it would drop every editor.
      if (folder.ownerId === accountState.account!.userId) {
        const account = accountState.account!;
        contacts
          .ready()
          .then((list) => syncEditorRoster(account, list, folder.id, { seen }))
          .catch(() => undefined);
      }
      // A refresh of the same folder (uploads land in it every second during a large one) keeps the selection.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
      const still = new Set(folder.id === this.folder?.id ? opened.map((node) => node.id) : []);
      for (const id of [...this.selected]) if (!still.has(id)) this.selected.delete(id);
      this.folder = folder;
      this.path = path;
      this.role = share?.share.role ?? 'owner';
      this.children = opened;
      this.refused = refused.length;
      this.warnings = warnings;
      await this.#loadRequestLabels(opened);
    } catch (error) {
      if (load !== this.#loads) return;
      const gone = error instanceof ApiRequestError && error.status === 404 && folderId !== undefined;
      if (gone) {
        this.folder = null;
        this.path = [];
        this.children = [];
        this.selected.clear();
      }
      this.error = gone
        ? 'This folder is no longer shared with you, or was never in your files: its owner may have removed your access.'
        : error instanceof Error
          ? error.message
          : String(error);
    } finally {
      if (load === this.#loads) this.loading = false;
    }
  }

  setLayout(layout: Layout): void {
    this.layout = layout;
    localStorage.setItem(LAYOUT_KEY, layout);
  }

  sortBy(key: SortKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = key !== 'name';
    }
  }

  /** Shows a node's new state, or drops it when it left this folder (moved or trashed). */
  update(node: OpenNode): void {
    const here = node.parentId === this.folder?.id && !node.trashedAt;
    const others = this.children.filter((child) => child.id !== node.id);
    this.children = here ? [...others, node] : others;
    if (!here) this.selected.delete(node.id);
  }
}

/** Replaced whole when loaded, never changed in place. */
function noLabels(): ReadonlyMap<string, string> {
  return new Map();
}
