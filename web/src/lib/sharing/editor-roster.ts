/**
 * The owner's side of editor rosters (docs/FORMAT.md section 5.4): for a folder it shares, the list of the accounts
 * holding an editor grant on it or on a folder above it, each with the signing key the owner pinned for them, signed
 * with the owner's signing key so that the members can check each other's writes. Only a grant the owner's own key
 * signed to the editor's pinned sharing key counts (author-rules.ts), never the server's list as it is. A new version is
 * signed when the stored roster (or its absence) differs from that list: after a grant or a removal, and at the next
 * visit of a folder shared before rosters.
 */
import type { EditorRosterResponse, NodeSharesResponse, ShareRecord } from '$shared/api/responses.ts';
import type { PutEditorRosterRequest } from '$shared/api/schemas.ts';
import { CofferCryptoError, signEditorRoster, verifyEditorRoster, type RosterEditor } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { verifiedOwnPublicKeys } from '../auth/own-public-keys.ts';
import type { Contact } from '../contacts/contact-book.ts';
import { ownGrantVerifies } from '../files/author-rules.ts';
import { sharingKeys } from './account-keys.ts';

/** Two owners' devices signing at once: the second reads the roster again and signs the version after. */
const ATTEMPTS = 3;

/** The editors the owner vouches for on this folder: editor grants it signed, on the folder or above it. */
async function vouchedEditors(
  account: UnlockedAccount,
  contacts: readonly Contact[],
  shares: readonly ShareRecord[],
): Promise<RosterEditor[]> {
  const ownKey = (await verifiedOwnPublicKeys(account)).signing;
  const editors = new Map<string, RosterEditor>();
  for (const given of shares) {
    if (given.role !== 'editor' || given.status === 'declined' || editors.has(given.recipientId)) continue;
    const pinned = contacts.find((contact) => contact.userId === given.recipientId);
    if (pinned && (await ownGrantVerifies(given, account.userId, ownKey, pinned))) {
      editors.set(given.recipientId, { id: given.recipientId, signingKey: pinned.signingKey });
    }
  }
  return [...editors.values()];
}

const sameEditors = (a: readonly RosterEditor[], b: readonly RosterEditor[]) =>
  a.length === b.length &&
  a.every((editor) => b.some((other) => other.id === editor.id && other.signingKey === editor.signingKey));

/**
 * Signs the folder's next roster if the stored one does not name exactly the editors the owner vouches for; does
 * nothing for a folder that is not itself shared (no member checks its roster).
 */
export async function syncEditorRoster(
  account: UnlockedAccount,
  contacts: readonly Contact[],
  folderId: string,
): Promise<void> {
  const { shares } = await api<NodeSharesResponse>('GET', `/api/nodes/${folderId}/shares`);
  if (!shares.some((share) => share.nodeId === folderId && share.kind === 'folder')) return;
  const editors = await vouchedEditors(account, contacts, shares);
  const ownKey = (await verifiedOwnPublicKeys(account)).signing;
  for (let attempt = 1; ; attempt++) {
    const { roster } = await api<EditorRosterResponse>('GET', `/api/nodes/${folderId}/editor-roster`);
    if (roster && sameEditors(roster.editors, editors) && (await ownRoster(roster, folderId, account, ownKey))) return;
    const version = (roster?.version ?? 0) + 1;
    const statement = { folderId, ownerId: account.userId, version, editors };
    const signed = await signEditorRoster(statement, (await sharingKeys(account)).signing);
    try {
      await api('PUT', `/api/nodes/${folderId}/editor-roster`, signed satisfies PutEditorRosterRequest);
      return;
    } catch (error) {
      const stale = error instanceof ApiRequestError && error.code === 'EDITOR_ROSTER_STALE';
      if (!stale || attempt === ATTEMPTS) throw error;
    }
  }
}

/** Whether the stored roster is one this owner signed: one the server made up is replaced, never kept. */
async function ownRoster(
  roster: NonNullable<EditorRosterResponse['roster']>,
  folderId: string,
  account: UnlockedAccount,
  ownKey: Uint8Array,
): Promise<boolean> {
  try {
    await verifyEditorRoster(roster, { folderId, ownerId: account.userId }, ownKey);
    return true;
  } catch (error) {
    if (error instanceof CofferCryptoError) return false;
    throw error;
  }
}
