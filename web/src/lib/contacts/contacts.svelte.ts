/**
 * The unlocked account's contacts on this device (contact-book.ts), loaded once per unlock and forgotten on lock.
 * Changes go through `change`, which writes the sealed list back before showing it.
 */
import { accountState } from '../account.svelte.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { changeContacts, loadContacts, type Contact } from './contact-book.ts';

class Contacts {
  list = $state.raw<Contact[]>([]);
  #account: UnlockedAccount | null = null;
  #loading: Promise<Contact[]> | null = null;

  constructor() {
    $effect.root(() => {
      $effect(() => {
        if (accountState.account !== this.#account) this.#forget();
      });
    });
  }

  ready(): Promise<Contact[]> {
    const account = this.#require();
    this.#loading ??= loadContacts(account).then(({ contacts }) => {
      if (this.#account === account) this.list = contacts;
      return contacts;
    });
    this.#loading.catch(() => (this.#loading = null));
    return this.#loading;
  }

  async change(change: (contacts: Contact[]) => Contact[]): Promise<Contact[]> {
    const account = this.#require();
    const { contacts } = await changeContacts(account, change);
    if (this.#account === account) {
      this.list = contacts;
      this.#loading = Promise.resolve(contacts);
    }
    return contacts;
  }

  /** A person's handle as pinned, for an account id. */
  handleOf(userId: string): string | undefined {
    return this.list.find((contact) => contact.userId === userId)?.handle;
  }

  #require(): UnlockedAccount {
    const account = accountState.account;
    if (!account) throw new Error('Unlock your account to see your contacts.');
    if (account !== this.#account) this.#forget();
    this.#account = account;
    return account;
  }

  #forget(): void {
    this.#account = null;
    this.#loading = null;
    this.list = [];
  }
}

export const contacts = new Contacts();
