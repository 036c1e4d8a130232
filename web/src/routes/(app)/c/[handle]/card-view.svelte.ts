/**
 * Opening a contact card (contact-card.ts): the fingerprint from the fragment (held while the account was unlocked,
 * or in the address of a card followed inside the app), checked against the server's keys for the handle.
 */
import { replaceState } from '$app/navigation';
import { resolve } from '$app/paths';
import { accountState } from '$lib/account.svelte.ts';
import { acceptCard, CardMismatchError, type CardOutcome } from '$lib/contacts/contact-card.ts';
import { contacts } from '$lib/contacts/contacts.svelte.ts';
import { takeCard } from '$lib/contacts/pending-card.ts';
import { describeError } from '$lib/errors.ts';

export type CardState =
  | { kind: 'checking' }
  | CardOutcome
  | { kind: 'mismatch'; message: string; details: string }
  | { kind: 'failed'; message: string };

export class CardView {
  state = $state.raw<CardState>({ kind: 'checking' });

  async open(handle: string, url: URL): Promise<void> {
    let fragment = takeCard(handle) ?? '';
    if (url.hash) {
      fragment = url.hash.slice(1);
      replaceState(resolve(`/c/${encodeURIComponent(handle)}`), {});
    }
    const account = accountState.account;
    if (!account) return;
    try {
      this.state = await acceptCard(account, handle, fragment, (change) => contacts.change(change));
    } catch (error) {
      this.state =
        error instanceof CardMismatchError
          ? { kind: 'mismatch', message: error.message, details: error.details }
          : { kind: 'failed', message: describeError(error) };
    }
  }
}
