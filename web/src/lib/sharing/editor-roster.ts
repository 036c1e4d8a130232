/**
 * The owner's side of editor rosters (docs/FORMAT.md section 5.4): for a folder it shares, the list of the accounts
 * holding an editor grant on it or on a folder above it, each with the signing key the owner pinned for them, signed
 * with the owner's signing key so that the members can check each other's writes. Only a grant the owner's own key
 * signed to the editor's pinned sharing key counts (author-rules.ts), never the server's list as it is; and since a
 * revoked grant still verifies, only an editor the roster of the grant's folder already names (own-roster.ts), or the
 * one the owner is granting now. A new version is signed when the stored roster (or its absence) differs from that
 * list: after a grant or a removal, and at the next visit of a folder shared before rosters or whose editor left.
 */
import type { NodeSharesResponse, ShareRecord } from '$shared/api/responses.ts';
import type { PutEditorRosterRequest } from '$shared/api/schemas.ts';
import { signEditorRoster, type RosterEditor } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { verifiedOwnPublicKeys } from '../auth/own-public-keys.ts';
import type { Contact } from '../contacts/contact-book.ts';
import { ownGrantVerifies } from '../files/author-rules.ts';
import { canonicalId, type SeenVersions } from '../integrity/seen-versions.ts';
import { sharingKeys } from './account-keys.ts';
import { ownRosters, readOwnRoster, rosterAllows, type OwnRoster } from './own-roster.ts';

/** Two owners' devices signing at once: the second reads the roster again and signs the version after. */
const ATTEMPTS = 3;

/**
 * The editors the owner vouches for on this folder: editor grants it signed, on the folder or above it, each allowed by
 * the roster of the folder it was given on (`rosterOf`) or given just now (`granting`).
 */
async function vouchedEditors(
  account: UnlockedAccount,
  contacts: readonly Contact[],
  shares: readonly ShareRecord[],
  rosterOf: (folderId: string) => Promise<OwnRoster>,
  granting: string | undefined,
): Promise<RosterEditor[]> {
  const ownKey = (await verifiedOwnPublicKeys(account)).signing;
  const editors = new Map<string, RosterEditor>();
  for (const given of shares) {
    if (given.role !== 'editor' || given.status === 'declined' || editors.has(given.recipientId)) continue;
    const pinned = contacts.find((contact) => contact.userId === given.recipientId);
    if (!pinned || !(await ownGrantVerifies(given, account.userId, ownKey, pinned))) continue;
    if (given.recipientId === granting || rosterAllows(await rosterOf(given.nodeId), given.recipientId)) {
      editors.set(given.recipientId, { id: given.recipientId, signingKey: pinned.signingKey });
    }
  }
  return [...editors.values()];
}

const sameEditors = (a: readonly RosterEditor[], b: readonly RosterEditor[]) =>
  a.length === b.length &&
  a.every((editor) => b.some((other) => other.id === editor.id && other.signingKey === editor.signingKey));

/** What the roster sync is told: the device's memory of rosters, and the editor the owner is granting, if any. */
export interface RosterSync {
  seen: SeenVersions;
  granting?: string | undefined;
}

/**
 * Signs the folder's next roster if the stored one does not name exactly the editors the owner vouches for; does
 * nothing for a folder that is not itself shared (no member checks its roster). Refuses, saying why, when this device
 * has seen a roster of the folder that the server no longer gives: who is still an editor is then not known.
 */
export async function syncEditorRoster(
  account: UnlockedAccount,
  contacts: readonly Contact[],
  folderId: string,
  { seen, granting }: RosterSync,
): Promise<void> {
  const { shares } = await api<NodeSharesResponse>('GET', `/api/nodes/${folderId}/shares`);
  if (!shares.some((share) => share.nodeId === folderId && share.kind === 'folder')) return;
  const ownKey = (await verifiedOwnPublicKeys(account)).signing;
  const above = ownRosters(account.userId, () => Promise.resolve(ownKey), seen);
  for (let attempt = 1; ; attempt++) {
    const { stored, own } = await readOwnRoster(folderId, account.userId, ownKey, seen);
    if (own.kind === 'lost') {
      throw new Error(
        `the server no longer gives the list of editors this device has seen (version ${own.highest}), so who is still an editor is not known`,
      );
    }
    const rosterOf = (nodeId: string) => (nodeId === folderId ? Promise.resolve(own) : above(nodeId));
    const editors = await vouchedEditors(account, contacts, shares, rosterOf, granting);
    if (own.kind === 'trusted' && sameEditors(own.roster.editors, editors)) return;
    const version = (stored?.version ?? 0) + 1;
    const statement = { folderId, ownerId: account.userId, version, editors };
    const signed = await signEditorRoster(statement, (await sharingKeys(account)).signing);
    try {
      await api('PUT', `/api/nodes/${folderId}/editor-roster`, signed satisfies PutEditorRosterRequest);
      await seen.remember('editor-roster', canonicalId(folderId), version);
      return;
    } catch (error) {
      const stale = error instanceof ApiRequestError && error.code === 'EDITOR_ROSTER_STALE';
      if (!stale || attempt === ATTEMPTS) throw error;
    }
  }
}
