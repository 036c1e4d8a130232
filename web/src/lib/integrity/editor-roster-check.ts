/**
 * A member's use of its share's editor roster (docs/FORMAT.md section 5.4): the owner's signed list of the folder's
 * editors and their signing keys, checked with the owner's key the member's own grant verified with, never a key the
 * server names. A roster that verifies and is not older than the one this device has seen makes each editor it names
 * a writer of the folder, checked with the key the owner vouches for; otherwise it is not used, and the member is told
 * why in plain words. A writer the roster does not name is checked as without it (author-rules.ts).
 */
import { CofferCryptoError, decodeBase64url, verifyEditorRoster, type EditorRoster } from '$shared/crypto/index.ts';
import type { Contact } from '../contacts/contact-book.ts';
import type { AuthorKey, AuthorRules } from '../files/node-authors.ts';
import { canonicalId, type SeenVersions } from './seen-versions.ts';

/** Where a member's roster comes from: the folder its share was given on, the owner and the key its grant verified. */
export interface RosterSource {
  folderId: string;
  ownerId: string;
  ownerSigningKey: Uint8Array;
  contacts: readonly Contact[];
}

/** The rules with the roster's editors added, and why the roster was not used, if it was not. */
export interface WithRoster {
  rules: AuthorRules;
  problem: string | null;
}

export async function withRoster(
  rules: AuthorRules,
  source: RosterSource,
  roster: EditorRoster | null,
  seen: SeenVersions | undefined,
): Promise<WithRoster> {
  const folderId = canonicalId(source.folderId);
  const highest = await seen?.highest('editor-roster', folderId);
  if (!roster) {
    const problem =
      highest === undefined
        ? null
        : `The server no longer shows the list of this shared folder's editors signed by its owner (this device has seen version ${highest}): editors other than you and the owner cannot be checked.`;
    return { rules, problem };
  }
  try {
    await verifyEditorRoster(roster, { folderId, ownerId: source.ownerId }, source.ownerSigningKey);
  } catch (error) {
    if (!(error instanceof CofferCryptoError)) throw error;
    return {
      rules,
      problem: `The list of this shared folder's editors that the server gave was refused: ${error.message}. Editors other than you and the owner cannot be checked.`,
    };
  }
  if (highest !== undefined && roster.version < highest) {
    return {
      rules,
      problem: `The server showed an older list of this shared folder's editors (version ${roster.version}; this device has seen ${highest}), so it was not used: someone removed since could be shown as an editor.`,
    };
  }
  await seen?.remember('editor-roster', folderId, roster.version);
  const keys = new Map(roster.editors.map((editor) => [editor.id, editor.signingKey]));
  const writers = new Set([...rules.writers, ...keys.keys()]);
  const signers = new Set([...(rules.signers ?? rules.writers), ...keys.keys()]);
  const keyOf = async (userId: string): Promise<AuthorKey | undefined> => {
    const own = await rules.keyOf(userId);
    const vouched = keys.get(userId);
    if (!vouched || (own && userId === source.ownerId)) return own;
    // The owner's word for the key; a contact the member pinned with the same key keeps its handle and verification.
    const pinned = source.contacts.find((contact) => contact.userId === userId);
    if (own && !pinned) return own;
    const same = pinned?.signingKey === vouched;
    return {
      signingKey: decodeBase64url(vouched),
      handle: same ? pinned.handle : null,
      verified: same && pinned.verified,
    };
  };
  return { rules: { ...rules, writers, signers, keyOf }, problem: null };
}
