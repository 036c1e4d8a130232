/**
 * The account's contacts (issue 25, point 2): each person's handle, account id and the public keys pinned when they
 * were added, and whether their fingerprint was compared out of band. The list is sealed under the master key
 * (docs/FORMAT.md section 4, purpose `contacts`) and kept as the account's `contacts` document, so the server can
 * neither read nor edit it: a key the server later swaps is caught against the pinned one (checkRecipient).
 */
import type { HandleLookupResponse } from '$shared/api/responses.ts';
import { decodeBase64url, SEALED_TEXT_PURPOSES } from '$shared/crypto/index.ts';
import type { AccountKeys } from '../auth/account-client.ts';
import { changeList, loadList, type SealedList } from '../sealed-list-document.ts';

export interface Contact {
  handle: string;
  userId: string;
  /** The person's sharing and signing public keys, base64url SPKI, as pinned. */
  sharingKey: string;
  signingKey: string;
  /** True once the fingerprint words were compared with the person's own, or came in a contact card. */
  verified: boolean;
}

export interface ContactBook {
  /** The stored document's version, which the next write names. */
  version: number;
  contacts: Contact[];
}

const CONTACTS: SealedList<Contact> = {
  kind: 'contacts',
  purpose: SEALED_TEXT_PURPOSES.contacts,
  field: 'contacts',
  title: 'Your contact list',
  name: 'your contacts',
  stopped: 'Nothing was shared.',
  isEntry: (contact): contact is Contact & Record<string, unknown> =>
    typeof contact.handle === 'string' &&
    typeof contact.userId === 'string' &&
    typeof contact.sharingKey === 'string' &&
    typeof contact.signingKey === 'string' &&
    typeof contact.verified === 'boolean',
};

export async function loadContacts(account: AccountKeys): Promise<ContactBook> {
  const { version, entries } = await loadList(CONTACTS, account);
  return { version, contacts: entries };
}

/**
 * Applies `change` to the stored list and writes it back, once more on what another device wrote meanwhile
 * (sealed-list-document.ts).
 */
export async function changeContacts(
  account: AccountKeys,
  change: (contacts: Contact[]) => Contact[],
): Promise<ContactBook> {
  const { version, entries } = await changeList(CONTACTS, account, change);
  return { version, contacts: entries };
}

/** The contact as found by its handle now, replacing any earlier one of the same account. */
export function withContact(contacts: Contact[], contact: Contact): Contact[] {
  return [...contacts.filter((other) => other.userId !== contact.userId), contact];
}

export function contactOf(found: HandleLookupResponse, verified: boolean): Contact {
  const { sharing, signing } = found.publicKeys;
  if (!sharing || !signing) {
    throw new Error(`@${found.handle} has not published their keys yet, so nothing can be shared with them.`);
  }
  return { handle: found.handle, userId: found.userId, sharingKey: sharing, signingKey: signing, verified };
}

/** The keys, in the order their fingerprint takes them (docs/FORMAT.md section 4.5). */
export function contactKeys(contact: Pick<Contact, 'sharingKey' | 'signingKey'>): Uint8Array[] {
  return [decodeBase64url(contact.sharingKey), decodeBase64url(contact.signingKey)];
}

/**
 * The server's keys for a person differ from those pinned for them: their account made new keys, or the server is
 * substituting its own to read what is shared. Nothing is shared until the user confirms the new keys.
 */
export class KeyChangedError extends Error {
  constructor(
    readonly pinned: Contact,
    readonly found: HandleLookupResponse,
  ) {
    super(
      `The keys the server gives for @${found.handle} are not the ones you pinned for them. Nothing was shared. ` +
        `Someone may be trying to read what you share: compare the fingerprint words with @${found.handle} ` +
        `before you confirm the new keys.`,
    );
  }
}

/**
 * The pinned contact for the person the server found, after checking that the server gives exactly the pinned keys
 * and the pinned account for that handle (KeyChangedError otherwise); undefined for a person not yet a contact.
 */
export function checkRecipient(contacts: Contact[], found: HandleLookupResponse): Contact | undefined {
  const pinned =
    contacts.find((contact) => contact.userId === found.userId) ??
    contacts.find((contact) => contact.handle.toLowerCase() === found.handle.toLowerCase());
  if (!pinned) return undefined;
  const same =
    pinned.userId === found.userId &&
    pinned.sharingKey === found.publicKeys.sharing &&
    pinned.signingKey === found.publicKeys.signing;
  if (!same) throw new KeyChangedError(pinned, found);
  return pinned;
}
