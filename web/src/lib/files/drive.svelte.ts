/**
 * The unlocked account's file tree on this device: the key ring (node keys, in memory only) and the root folder, and
 * the shares made to the account, whose accepted grants anchor the ring in other owners' trees. It is forgotten the
 * moment the account locks, with the master key.
 */
import { accountState } from '../account.svelte.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { contacts } from '../contacts/contacts.svelte.ts';
import { sharingKeys } from '../sharing/account-keys.ts';
import { receivedShares, type Received } from '../sharing/received-shares.ts';
import { KeyRing } from './key-ring.ts';
import type { OpenNode } from './node-records.ts';
import { FolderManifestSigner } from '../integrity/folder-manifest-signer.ts';
import { openPendingWrites } from '../integrity/pending-writes.ts';
import { openSeenVersions } from '../integrity/seen-versions.ts';
import { authorRules } from './author-rules.ts';
import { openPath } from './folder-listing.ts';
import { forgetThumbnails } from './thumbnails.ts';
import { loadRoot } from './tree-actions.ts';

class Drive {
  root = $state.raw<OpenNode | null>(null);
  #ring: KeyRing | null = null;
  #account: UnlockedAccount | null = null;
  #opening: Promise<{ ring: KeyRing; root: OpenNode }> | null = null;
  #receiving: Promise<Received> | null = null;

  constructor() {
    $effect.root(() => {
      $effect(() => {
        if (accountState.account !== this.#account) this.forget();
      });
    });
  }

  /** The key ring and the root folder, opened once per unlock. */
  ready(): Promise<{ ring: KeyRing; root: OpenNode }> {
    const account = accountState.account;
    if (!account) return Promise.reject(new Error('Unlock your account to see your files.'));
    if (account !== this.#account) this.forget();
    this.#account = account;
    this.#opening ??= (async () => {
      const signer = new FolderManifestSigner({
        ring: () => ring,
        seen: openSeenVersions(account.userId),
        pending: openPendingWrites(account.userId),
        rulesFor: (folderId, ownerId) => this.#rulesFor(ring, account, folderId, ownerId),
      });
      const ring: KeyRing = new KeyRing({
        userId: account.userId,
        signingKey: async () => (account.bundle.privateKeys.signing ? (await sharingKeys(account)).signing : undefined),
        resign: (folderId, wrote, change) => signer.resign(folderId, wrote, change),
        signed: (statement) => signer.journal(statement),
        resignPending: (folderId, refused) => signer.resignPending(folderId, refused),
      });
      const root = await loadRoot(ring, account);
      if (this.#account === account) {
        this.#ring = ring;
        this.root = root;
      }
      return { ring, root };
    })();
    this.#opening.catch(() => (this.#opening = null));
    return this.#opening;
  }

  /** Who may write in a folder, as its folder view knows it: for a member, through the share the folder is under. */
  async #rulesFor(ring: KeyRing, account: UnlockedAccount, folderId: string, ownerId: string) {
    const contactList = await contacts.ready().catch(() => []);
    const above = (await openPath(ring, folderId)).map((node) => node.id);
    const seen = openSeenVersions(account.userId);
    if (ownerId === account.userId) {
      return authorRules({ account, contacts: contactList, folderId, ownerId, above, seen });
    }
    const received = await this.received();
    const share = received.shares.find(({ share, accepted }) => accepted && above.includes(share.nodeId));
    return authorRules({ account, contacts: contactList, folderId, ownerId, above, share });
  }

  /**
   * The shares made to this account whose grants verified (sharing/received-shares.ts), once per unlock or after
   * `refreshShares`; each one accepted by both the server and the account's own record becomes an anchor of the key
   * ring, so its items open like the account's own.
   */
  received(): Promise<Received> {
    this.#receiving ??= (async () => {
      const { ring } = await this.ready();
      const received = await receivedShares(accountState.account!, await contacts.ready());
      for (const { share, nodeKey, accepted } of received.shares) {
        if (accepted) ring.addAnchor({ nodeId: share.nodeId, ownerId: share.ownerId, key: nodeKey });
      }
      return received;
    })();
    this.#receiving.catch(() => (this.#receiving = null));
    return this.#receiving;
  }

  refreshShares(): Promise<Received> {
    this.#receiving = null;
    return this.received();
  }

  get ring(): KeyRing | null {
    return this.#ring;
  }

  forget(): void {
    forgetThumbnails();
    this.#ring?.close();
    this.#ring = null;
    this.#account = null;
    this.#opening = null;
    this.#receiving = null;
    this.root = null;
  }
}

export const drive = new Drive();
