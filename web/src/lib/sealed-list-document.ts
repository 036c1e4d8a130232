/**
 * A list the account keeps for itself as one of its account documents (server/accounts/documents.ts): JSON
 * `{"version":1,"<field>":[...]}` sealed under the master key with the account as owner and object, under the
 * document's own purpose (docs/FORMAT.md section 4), so the server can neither read it, edit it, nor pass one kind off
 * as another. Its contacts and the shares it accepted are such lists.
 */
import type { AccountDocumentResponse } from '$shared/api/responses.ts';
import type { AccountDocumentKind, PutAccountDocumentRequest } from '$shared/api/schemas.ts';
import { openText, sealText, type SEALED_TEXT_PURPOSES } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from './api.ts';
import type { AccountKeys } from './auth/account-client.ts';

export interface SealedList<T> {
  kind: AccountDocumentKind;
  purpose: (typeof SEALED_TEXT_PURPOSES)[keyof typeof SEALED_TEXT_PURPOSES];
  /** The key of the list in the JSON. */
  field: string;
  /** What the user calls the list, to start an error message: "Your contact list". */
  title: string;
  /** What a list that fails its integrity check stopped, to end that message: "Nothing was shared." */
  stopped: string;
  /** Whether an entry of the list is well formed; others are left out. */
  isEntry: (entry: Record<string, unknown>) => entry is T & Record<string, unknown>;
}

export interface StoredList<T> {
  /** The stored document's version, which the next write names. */
  version: number;
  entries: T[];
}

const FORMAT_VERSION = 1;

const pathOf = <T>(list: SealedList<T>) => `/api/account/documents/${list.kind}`;
const binding = <T>(list: SealedList<T>, account: AccountKeys) => ({
  purpose: list.purpose,
  owner: account.userId,
  object: account.userId,
});

export async function loadList<T>(list: SealedList<T>, account: AccountKeys): Promise<StoredList<T>> {
  const document = await api<AccountDocumentResponse>('GET', pathOf(list));
  if (document.sealed === null) return { version: document.version, entries: [] };
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
  if (parsed.version !== FORMAT_VERSION || !Array.isArray(entries)) {
    throw new Error(`${list.title} is in a format this app does not know (version ${String(parsed.version)}).`);
  }
  return { version: document.version, entries: (entries as Record<string, unknown>[]).filter(list.isEntry) };
}

/**
 * Applies `change` to the stored list and writes it back; when another device wrote meanwhile (DOCUMENT_CHANGED), once
 * more on what it wrote, so that neither change is lost.
 */
export async function changeList<T>(
  list: SealedList<T>,
  account: AccountKeys,
  change: (entries: T[]) => T[],
): Promise<StoredList<T>> {
  for (let attempt = 0; ; attempt++) {
    const stored = await loadList(list, account);
    const entries = change(stored.entries);
    const text = JSON.stringify({ version: FORMAT_VERSION, [list.field]: entries });
    const body: PutAccountDocumentRequest = {
      version: stored.version,
      sealed: await sealText(account.masterKey, text, binding(list, account)),
    };
    try {
      const written = await api<AccountDocumentResponse>('PUT', pathOf(list), body);
      return { version: written.version, entries };
    } catch (error) {
      if (attempt > 0 || !(error instanceof ApiRequestError && error.code === 'DOCUMENT_CHANGED')) throw error;
    }
  }
}
