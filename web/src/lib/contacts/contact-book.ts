/**
 * The account's contacts (issue 25, point 2): each person's handle, account id and the public keys pinned when they
 * were added, and whether their fingerprint was compared out of band. The list is sealed under the master key
 * (docs/FORMAT.md section 4, purpose `contacts`) and kept as the account's `contacts` document, so the server can
 * neither read nor edit it: a key the server later swaps is caught against the pinned one (checkRecipient).
 */
import type { AccountDocumentResponse, HandleLookupResponse } from '$shared/api/responses.ts';
import type { PutAccountDocumentRequest } from '$shared/api/schemas.ts';
import { decodeBase64url, openText, SEALED_TEXT_PURPOSES, sealText } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';

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

interface Account {
  userId: string;
  masterKey: Uint8Array;
}

const PATH = '/api/account/documents/contacts';
const FORMAT_VERSION = 1;

const binding = (account: Account) => ({
  purpose: SEALED_TEXT_PURPOSES.contacts,
  owner: account.userId,
  object: account.userId,
});

export async function loadContacts(account: Account): Promise<ContactBook> {
  const document = await api<AccountDocumentResponse>('GET', PATH);
  if (document.sealed === null) return { version: document.version, contacts: [] };
  let text: string;
  try {
    text = await openText(account.masterKey, document.sealed, binding(account));
  } catch {
    throw new Error(
      'Your contact list failed its integrity check: it was altered on the server or sealed for another account. Nothing was shared.',
    );
  }
  return { version: document.version, contacts: parseContacts(text) };
}

/**
 * Applies `change` to the stored list and writes it back; when another device wrote meanwhile (DOCUMENT_CHANGED), once
 * more on what it wrote, so that neither change is lost.
 */
export async function changeContacts(
  account: Account,
  change: (contacts: Contact[]) => Contact[],
): Promise<ContactBook> {
  for (let attempt = 0; ; attempt++) {
    const book = await loadContacts(account);
    const contacts = change(book.contacts);
    const text = JSON.stringify({ version: FORMAT_VERSION, contacts });
    const body: PutAccountDocumentRequest = {
      version: book.version,
      sealed: await sealText(account.masterKey, text, binding(account)),
    };
    try {
      const written = await api<AccountDocumentResponse>('PUT', PATH, body);
      return { version: written.version, contacts };
    } catch (error) {
      if (attempt > 0 || !(error instanceof ApiRequestError && error.code === 'DOCUMENT_CHANGED')) throw error;
    }
  }
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

function parseContacts(text: string): Contact[] {
  const parsed = JSON.parse(text) as { version?: unknown; contacts?: unknown };
  if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.contacts)) {
    throw new Error(`Your contact list is in a format this app does not know (version ${String(parsed.version)}).`);
  }
  return (parsed.contacts as Record<string, unknown>[]).filter(
    (contact): contact is Contact & Record<string, unknown> =>
      typeof contact.handle === 'string' &&
      typeof contact.userId === 'string' &&
      typeof contact.sharingKey === 'string' &&
      typeof contact.signingKey === 'string' &&
      typeof contact.verified === 'boolean',
  );
}
