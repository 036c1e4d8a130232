/**
 * The unlocked account's file tree on this device: the key ring (node keys, in memory only) and the root folder.
 * It is forgotten the moment the account locks, with the master key.
 */
import { accountState } from '../account.svelte.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { KeyRing } from './key-ring.ts';
import type { OpenNode } from './node-records.ts';
import { forgetThumbnails } from './thumbnails.ts';
import { loadRoot } from './tree-actions.ts';

class Drive {
  root = $state.raw<OpenNode | null>(null);
  #ring: KeyRing | null = null;
  #account: UnlockedAccount | null = null;
  #opening: Promise<{ ring: KeyRing; root: OpenNode }> | null = null;

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
      const ring = new KeyRing();
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

  get ring(): KeyRing | null {
    return this.#ring;
  }

  forget(): void {
    forgetThumbnails();
    this.#ring?.close();
    this.#ring = null;
    this.#account = null;
    this.#opening = null;
    this.root = null;
  }
}

export const drive = new Drive();
