/**
 * The link page's state: reading the fragment (and dropping it from the address bar), asking for a password when the
 * link has one, opening the link, and for a folder the folder shown, the way down to it and the items picked there.
 */
import { SvelteSet } from 'svelte/reactivity';
import { ApiRequestError } from '$lib/api.ts';
import { describeError } from '$lib/errors.ts';
import type { OpenNode } from '$lib/files/node-records.ts';
import { TamperedNodeError } from '$lib/files/open-record.ts';
import {
  checkPasswordClaim,
  linkAccess,
  linkKeys,
  listLinkFolder,
  openLink,
  readFragment,
  type OpenedLink,
} from '$lib/links/link-visit.ts';
import type { LinkAccessResponse } from '$shared/api/responses.ts';
import { CofferCryptoError, type LinkFragment } from '$shared/crypto/index.ts';

export type Stage =
  | { name: 'opening' }
  | { name: 'password' }
  | { name: 'open'; opened: OpenedLink }
  | { name: 'refused'; title: string; message: string };

/** What each refusal is called on its page; the server's message follows. */
const REFUSALS: Record<string, string> = {
  LINK_MALFORMED: 'This link is incomplete',
  LINK_PASSWORD_MISMATCH: 'This link does not open',
  LINK_NOT_FOUND: 'There is no such link',
  LINK_EXPIRED: 'This link has expired',
  LINK_EXHAUSTED: 'This link has been used up',
  LINK_REVOKED: 'This link was revoked',
  LINK_OWNER_DISABLED: 'This link is unavailable',
  LINK_ITEM_GONE: 'This item is no longer shared',
  LINK_TOKEN_INVALID: 'This link does not open',
  RATE_LIMITED: 'Too many tries',
};

export class LinkVisit {
  /** Raw: what an open link holds is handed to the service worker, which takes no reactive proxies. */
  stage = $state.raw<Stage>({ name: 'opening' });
  /** Whether the secret was taken out of the address bar (and so out of the history and any screenshot). */
  fragmentDropped = $state(false);
  passwordError = $state('');
  busy = $state(false);
  /** For a folder link: the folders from the linked one down to the one shown, and what it holds. */
  path = $state.raw<OpenNode[]>([]);
  children = $state.raw<OpenNode[]>([]);
  refusedChildren = $state(0);
  /** Ids of the children picked for a zip; they belong to the folder shown, and are dropped when another is. */
  selected = new SvelteSet<string>();
  selectedNodes = $derived(this.children.filter((node) => this.selected.has(node.id)));
  folderError = $state('');
  #fragment: LinkFragment | null = null;
  #access: LinkAccessResponse | null = null;

  constructor(readonly linkId: string) {}

  /** Reads the secret from the fragment, drops it from the address, and opens the link if it has no password. */
  async start(): Promise<void> {
    const fragment = decodeURIComponent(location.hash.slice(1));
    if (location.hash) {
      history.replaceState(history.state, '', location.pathname + location.search);
      this.fragmentDropped = true;
    }
    try {
      if (!fragment) {
        throw new CofferCryptoError('LINK_MALFORMED', 'the link has no secret after its "#": it was cut short');
      }
      this.#fragment = readFragment(fragment);
      this.#access = await linkAccess(this.linkId);
      checkPasswordClaim(this.#fragment, this.#access);
      if (this.#fragment.withPassword) this.stage = { name: 'password' };
      else await this.#open();
    } catch (error) {
      this.#refuse(error);
    }
  }

  async submitPassword(password: string): Promise<void> {
    if (password === '') {
      this.passwordError = 'Enter the password you were given with the link.';
      return;
    }
    this.busy = true;
    this.passwordError = '';
    try {
      await this.#open(password);
    } catch (error) {
      const wrong =
        (error instanceof ApiRequestError && error.code === 'LINK_TOKEN_INVALID') ||
        (error instanceof CofferCryptoError && error.code === 'WRAPPED_KEY_INVALID');
      if (wrong) this.passwordError = 'Wrong password. Check it and try again.';
      else this.#refuse(error);
    } finally {
      this.busy = false;
    }
  }

  async #open(password?: string): Promise<void> {
    const keys = await linkKeys(this.#fragment!, this.linkId, this.#access!, password);
    const opened = await openLink(this.linkId, keys);
    this.stage = { name: 'open', opened };
    if (opened.node.kind === 'folder') await this.openFolder([opened.node]);
  }

  /** Shows the last folder of `path`, which starts at the linked folder. */
  async openFolder(path: OpenNode[]): Promise<void> {
    if (this.stage.name !== 'open') return;
    const { link, ring } = this.stage.opened;
    this.folderError = '';
    try {
      const { opened, refused } = await listLinkFolder(link, ring, path.at(-1)!.id);
      this.path = path;
      this.selected.clear();
      this.children = opened.toSorted((a, b) =>
        a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1,
      );
      this.refusedChildren = refused.length;
    } catch (error) {
      if (error instanceof ApiRequestError && error.code in REFUSALS) this.#refuse(error);
      else this.folderError = describeError(error);
    }
  }

  #refuse(error: unknown): void {
    const code = error instanceof ApiRequestError || error instanceof CofferCryptoError ? error.code : undefined;
    if (code && REFUSALS[code]) {
      this.stage = { name: 'refused', title: REFUSALS[code], message: describeError(error) };
      return;
    }
    if (code === 'WEAK_PARAMETERS' || code === 'PARAMETERS_TOO_COSTLY') {
      const asked =
        code === 'WEAK_PARAMETERS' ? 'weaker protection for its password' : 'more work to check its password';
      this.stage = {
        name: 'refused',
        title: 'This link does not open',
        message: `The server sent this link asking for ${asked} than Coffer allows, so it was not opened: someone may have changed it on the server. (${describeError(error)})`,
      };
      return;
    }
    const tampered = error instanceof TamperedNodeError || code === 'WRAPPED_KEY_INVALID';
    this.stage = {
      name: 'refused',
      title: tampered ? 'This link does not open' : 'This link could not be opened',
      message: tampered
        ? `What the server sent failed its integrity check, so it was refused: ${describeError(error)}`
        : describeError(error),
    };
  }
}
