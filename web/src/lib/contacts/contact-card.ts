/**
 * Contact cards (issue 25, point 1): the link `https://host/c/<handle>#<fingerprint>` a person hands another out of
 * band, as a message or a QR code read from their screen. The fragment never reaches the server, so the fingerprint in
 * it (docs/FORMAT.md section 4.5) vouches for the keys the server gives for the handle: when they match, the contact
 * is pinned as verified; when they differ, someone substituted keys, and nothing is added.
 */
import type { HandleLookupResponse } from '$shared/api/responses.ts';
import { CofferCryptoError, checkKeyFingerprint, fingerprintText, verifyPublishedKeys } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';
import type { AccountBundle, UnlockedAccount } from '../auth/account-client.ts';
import { findPerson } from '../sharing/find-person.ts';
import { changeContacts, contactKeys, contactOf, withContact, type Contact } from './contact-book.ts';

/** What a card's fragment holds: a SHA-256 fingerprint as unpadded base64url. */
const FINGERPRINT_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function cardUrl(origin: string, handle: string, fingerprint: string): string {
  return `${origin}/c/${encodeURIComponent(handle)}#${fingerprint}`;
}

/**
 * The account's own card, or null while it has no handle. The fingerprint is taken from the published keys only once
 * they are shown to be the account's own (a server's keys would otherwise be vouched for by the card).
 */
export async function ownCard(
  account: UnlockedAccount,
  origin: string,
): Promise<{ handle: string; url: string } | null> {
  const published = await api<AccountBundle>('GET', '/api/account');
  if (!published.handle) return null;
  const keys = await verifyPublishedKeys(
    account.masterKey,
    account.userId,
    published.privateKeys,
    published.publicKeys,
  );
  return {
    handle: published.handle,
    url: cardUrl(origin, published.handle, await fingerprintText([keys.sharing, keys.signing])),
  };
}

/** The server's keys for the card's handle are not those the card's fingerprint names. */
export class CardMismatchError extends Error {
  constructor(
    readonly handle: string,
    readonly details: string,
  ) {
    super(
      `The keys the server gave for @${handle} do not match the card: do not trust this contact. Nothing was added. ` +
        `Either the card was copied wrong, or someone is substituting keys to read what you share with @${handle}.`,
    );
  }
}

export type CardOutcome =
  | { kind: 'own'; handle: string }
  /** `before` is the contact as it was pinned, if it was. */
  | { kind: 'verified'; contact: Contact; before: Contact | undefined };

/**
 * Checks the server's keys for `handle` against the card's fingerprint and, when they match, pins them as a verified
 * contact through `save` (replacing any earlier keys for that account: the card is the out-of-band word on them).
 */
export async function acceptCard(
  account: UnlockedAccount,
  handle: string,
  fragment: string,
  save: (change: (contacts: Contact[]) => Contact[]) => Promise<unknown> = (change) => changeContacts(account, change),
): Promise<CardOutcome> {
  const fingerprint = fragment.replace(/^#/, '');
  if (!FINGERPRINT_PATTERN.test(fingerprint)) {
    throw new Error(
      `This contact card's link is incomplete or damaged: after "#" it should carry a fingerprint of 43 letters, ` +
        `digits, "-" and "_", and it carries ${fingerprint ? JSON.stringify(fingerprint.slice(0, 60)) : 'nothing'}. ` +
        `Ask @${handle} for their card again.`,
    );
  }
  const found = await lookUp(handle);
  if (found.userId === account.userId) return { kind: 'own', handle: found.handle };
  const contact = contactOf(found, true);
  try {
    await checkKeyFingerprint(contactKeys(contact), fingerprint);
  } catch (error) {
    if (error instanceof CofferCryptoError && error.code === 'PUBLIC_KEY_MISMATCH') {
      throw new CardMismatchError(found.handle, error.message);
    }
    throw error;
  }
  let before: Contact | undefined;
  await save((contacts) => {
    before = contacts.find((other) => other.userId === contact.userId);
    return withContact(contacts, contact);
  });
  return { kind: 'verified', contact, before };
}

async function lookUp(handle: string): Promise<HandleLookupResponse> {
  try {
    return await findPerson(handle);
  } catch (error) {
    if (error instanceof ApiRequestError && (error.code === 'NO_SUCH_HANDLE' || error.code === 'BAD_HANDLE')) {
      throw new Error(
        `No account on this Coffer has the handle @${handle}. They may have changed it: ask them for their card again.`,
        { cause: error },
      );
    }
    throw error;
  }
}
