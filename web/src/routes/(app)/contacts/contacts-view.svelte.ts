/**
 * The Contacts page: the pinned contacts with their verification state, each checked against the keys the server gives
 * now (checkRecipient, as the share dialog does), adding by handle after comparing fingerprint words, and the account's
 * own card.
 */
import type { HandleLookupResponse } from '$shared/api/responses.ts';
import { fingerprintWords } from '$shared/crypto/index.ts';
import { accountState } from '$lib/account.svelte.ts';
import { ApiRequestError } from '$lib/api.ts';
import {
  checkRecipient,
  contactKeys,
  contactOf,
  KeyChangedError,
  withContact,
  type Contact,
} from '$lib/contacts/contact-book.ts';
import { ownCard } from '$lib/contacts/contact-card.ts';
import { contacts } from '$lib/contacts/contacts.svelte.ts';
import { describeError } from '$lib/errors.ts';
import { findPerson } from '$lib/sharing/find-person.ts';

/** What the server says of a pinned contact now. */
export type Standing =
  | { kind: 'same' }
  /** Other keys (or another account) under the pinned person's handle: a loud warning until the user decides. */
  | { kind: 'changed'; found: HandleLookupResponse; words: string[]; pinnedWords: string[] }
  | { kind: 'unknown'; message: string };

export type Adding =
  | { kind: 'find' }
  | { kind: 'new'; found: HandleLookupResponse; words: string[] }
  | { kind: 'known'; contact: Contact };

export class ContactsView {
  card = $state.raw<{ handle: string; url: string } | null | undefined>(undefined);
  cardError = $state('');
  standing = $state.raw<Record<string, Standing>>({});
  /** Fingerprint words of the pinned keys, by account id, for the contacts whose words were asked for. */
  words = $state.raw<Record<string, string[]>>({});
  adding = $state.raw<Adding>({ kind: 'find' });
  status = $state('');

  get list(): Contact[] {
    return [...contacts.list].sort((a, b) => a.handle.localeCompare(b.handle));
  }

  async load(origin: string): Promise<void> {
    const account = accountState.account;
    if (!account) throw new Error('Unlock your account to see your contacts.');
    ownCard(account, origin).then(
      (card) => (this.card = card),
      (error: unknown) => (this.cardError = describeError(error)),
    );
    const list = await contacts.ready();
    await Promise.all(list.map((contact) => this.#check(contact)));
  }

  async showWords(contact: Contact): Promise<void> {
    this.words = { ...this.words, [contact.userId]: await fingerprintWords(contactKeys(contact)) };
  }

  hideWords(contact: Contact): void {
    this.words = without(this.words, contact.userId);
  }

  async markVerified(contact: Contact): Promise<void> {
    await contacts.change((list) =>
      list.map((other) => (other.userId === contact.userId ? { ...other, verified: true } : other)),
    );
    this.status = `@${contact.handle} is marked verified.`;
  }

  async remove(contact: Contact): Promise<void> {
    await contacts.change((list) => list.filter((other) => other.userId !== contact.userId));
    this.hideWords(contact);
    this.status = `@${contact.handle} is no longer among your contacts.`;
  }

  /** Pins the keys the server gives now in place of the pinned ones, verified when the user compared the new words. */
  async acceptNewKeys(pinned: Contact, found: HandleLookupResponse, verified: boolean): Promise<void> {
    const contact = contactOf(found, verified);
    await contacts.change((list) =>
      withContact(
        list.filter((other) => other.userId !== pinned.userId),
        contact,
      ),
    );
    this.hideWords(pinned);
    this.standing = { ...without(this.standing, pinned.userId), [contact.userId]: { kind: 'same' } };
    this.status = `The new keys of @${contact.handle} are pinned${verified ? ', verified' : ', unverified'}.`;
  }

  async find(handle: string): Promise<void> {
    this.status = '';
    const found = await findPerson(handle);
    if (found.userId === accountState.account?.userId) throw new Error('This is your own handle.');
    const words = await fingerprintWords(contactKeys(contactOf(found, false)));
    try {
      const pinned = checkRecipient(await contacts.ready(), found);
      this.adding = pinned ? { kind: 'known', contact: pinned } : { kind: 'new', found, words };
    } catch (error) {
      if (!(error instanceof KeyChangedError)) throw error;
      this.standing = { ...this.standing, [error.pinned.userId]: await this.#changed(error) };
      this.adding = { kind: 'find' };
      this.status = `The keys of @${found.handle} have changed: read the warning in your list below.`;
    }
  }

  async add(found: HandleLookupResponse, verified: boolean): Promise<void> {
    const contact = contactOf(found, verified);
    await contacts.change((list) => withContact(list, contact));
    this.standing = { ...this.standing, [contact.userId]: { kind: 'same' } };
    this.adding = { kind: 'find' };
    this.status = `@${contact.handle} is added, ${verified ? 'verified' : 'unverified'}.`;
  }

  async #check(contact: Contact): Promise<void> {
    let standing: Standing;
    try {
      checkRecipient([contact], await findPerson(contact.handle));
      standing = { kind: 'same' };
    } catch (error) {
      if (error instanceof KeyChangedError) standing = await this.#changed(error);
      else if (error instanceof ApiRequestError && error.code === 'NO_SUCH_HANDLE')
        standing = { kind: 'unknown', message: `No account has the handle @${contact.handle} now.` };
      else standing = { kind: 'unknown', message: `Their keys could not be checked: ${describeError(error)}` };
    }
    this.standing = { ...this.standing, [contact.userId]: standing };
  }

  async #changed(error: KeyChangedError): Promise<Standing> {
    const { sharing, signing } = error.found.publicKeys;
    return {
      kind: 'changed',
      found: error.found,
      words:
        sharing && signing ? await fingerprintWords(contactKeys({ sharingKey: sharing, signingKey: signing })) : [],
      pinnedWords: await fingerprintWords(contactKeys(error.pinned)),
    };
  }
}

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([other]) => other !== key));
}
