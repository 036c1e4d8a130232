/**
 * A list the account keeps for itself as one of its account documents (server/accounts/documents.ts): JSON
 * `{"version":2,"revision":<n>,"<field>":[...]}` sealed under the master key with the account as owner and object,
 * under the document's own purpose (docs/FORMAT.md section 4), so the server can neither read it, edit it, nor pass one
 * kind off as another. The revision, sealed with the entries, grows at every write, and a device refuses a copy older
 * than one it opened (integrity/sealed-list-revision.ts), so the server cannot roll the list back or wipe it either.
 * Its contacts and the shares it accepted are such lists.
 */
import type { AccountDocumentResponse } from '$shared/api/responses.ts';
import type { AccountDocumentKind, PutAccountDocumentRequest } from '$shared/api/schemas.ts';
import { openText, sealText, type SEALED_TEXT_PURPOSES } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from './api.ts';
import type { AccountKeys } from './auth/account-client.ts';
import { checkListRevision, type SealedListKind } from './integrity/sealed-list-revision.ts';
import { openSeenVersions, type SeenVersions } from './integrity/seen-versions.ts';

export interface SealedList<T> {
  kind: AccountDocumentKind & SealedListKind;
  purpose: (typeof SEALED_TEXT_PURPOSES)[keyof typeof SEALED_TEXT_PURPOSES];
  /** The key of the list in the JSON. */
  field: string;
  /** What the user calls the list, to start an error message: "Your contact list". */
  title: string;
  /** What the user calls the list inside a sentence: "your contacts". */
  name: string;
  /** What a list that fails its integrity check stopped, to end that message: "Nothing was shared." */
  stopped: string;
  /** Whether an entry of the list is well formed; others are left out. */
  isEntry: (entry: Record<string, unknown>) => entry is T & Record<string, unknown>;
}

export interface StoredList<T> {
  /** The stored document's version, which the next write names. */
  version: number;
  /** The revision sealed with the entries: 0 for no list yet, or one sealed before revisions were. */
  revision: number;
  entries: T[];
}

const FORMAT_VERSION = 2;
/** The format without a revision, still read; the next write upgrades it. */
const FORMAT_WITHOUT_REVISION = 1;

const pathOf = <T>(list: SealedList<T>) => `/api/account/documents/${list.kind}`;
const binding = <T>(list: SealedList<T>, account: AccountKeys) => ({
  purpose: list.purpose,
  owner: account.userId,
  object: account.userId,
});

/**
 * The list as stored, once it opens and is no older than the newest copy this device opened (ListRolledBackError
 * otherwise).
 */
export async function loadList<T>(
  list: SealedList<T>,
  account: AccountKeys,
  seen: SeenVersions = openSeenVersions(account.userId),
): Promise<StoredList<T>> {
  const document = await api<AccountDocumentResponse>('GET', pathOf(list));
  if (document.sealed === null) {
    await checkListRevision(seen, list, account.userId, null);
    return { version: document.version, revision: 0, entries: [] };
  }
  let text: string;
  try {
    text = await openText(account.masterKey, document.sealed, binding(list, account));
  } catch {
    throw new Error(
      `${list.title} failed its integrity check: it was altered on the server or sealed for another account. ${list.stopped}`,
    );
  }
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const entries = parsed[list.field];
  const revision = revisionOf(parsed);
  if (revision === undefined || !Array.isArray(entries)) {
    throw new Error(`${list.title} is in a format this app does not know (version ${String(parsed.version)}).`);
  }
  await checkListRevision(seen, list, account.userId, revision);
  return { version: document.version, revision, entries: (entries as Record<string, unknown>[]).filter(list.isEntry) };
}

/** The list's sealed revision: a whole number from 1 on, or 0 for a list sealed before revisions; undefined if neither. */
export function revisionOf(parsed: Record<string, unknown>): number | undefined {
  if (parsed.version === FORMAT_WITHOUT_REVISION) return 0;
  const { revision } = parsed;
  if (parsed.version !== FORMAT_VERSION || typeof revision !== 'number') return undefined;
  return Number.isSafeInteger(revision) && revision >= 1 ? revision : undefined;
}

/**
 * Applies `change` to the stored list and writes it back, one revision on; when another device wrote meanwhile
 * (DOCUMENT_CHANGED), once more on what it wrote, so that neither change is lost. A copy older than this device has
 * seen is refused before any change, so a rolled-back list is never written over a newer one.
 */
export async function changeList<T>(
  list: SealedList<T>,
  account: AccountKeys,
  change: (entries: T[]) => T[],
  seen: SeenVersions = openSeenVersions(account.userId),
): Promise<StoredList<T>> {
  for (let attempt = 0; ; attempt++) {
    const stored = await loadList(list, account, seen);
    const entries = change(stored.entries);
    const revision = stored.revision + 1;
    const text = JSON.stringify({ version: FORMAT_VERSION, revision, [list.field]: entries });
    const body: PutAccountDocumentRequest = {
      version: stored.version,
      sealed: await sealText(account.masterKey, text, binding(list, account)),
    };
    try {
      const written = await api<AccountDocumentResponse>('PUT', pathOf(list), body);
      await seen.remember(list.kind, account.userId, revision);
      return { version: written.version, revision, entries };
    } catch (error) {
      if (attempt > 0 || !(error instanceof ApiRequestError && error.code === 'DOCUMENT_CHANGED')) throw error;
    }
  }
}
