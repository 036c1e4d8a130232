/**
 * The owner's own editor rosters (docs/FORMAT.md section 5.4) as the owner's device trusts them: who is an editor of a
 * folder that has one. A grant the owner revoked still verifies, so the grant listing alone cannot say who is still an
 * editor: a server listing a removed editor's old grant again would make them one. Once a folder has a roster the owner
 * signed, not older than the one this device has seen, only the editors it names count; only the owner's own grant
 * action adds one (sharing/editor-roster.ts). With no roster yet, and none ever seen here, the grant listing is taken
 * once (trust on first use).
 */
import type { EditorRosterResponse } from '$shared/api/responses.ts';
import { CofferCryptoError, verifyEditorRoster, type EditorRoster } from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import { canonicalId, type SeenVersions } from '../integrity/seen-versions.ts';

export type OwnRoster =
  /** Signed by the owner and not older than what this device has seen: it names the folder's editors. */
  | { kind: 'trusted'; roster: EditorRoster }
  /** None stored and none ever seen here: the folder's editors are its verified grants, once. */
  | { kind: 'none' }
  /** This device has seen one, and the server now gives none, one the owner did not sign, or an older one. */
  | { kind: 'lost'; highest: number };

/** The folder's stored roster (to sign the version after it) and what the owner's device makes of it. */
export async function readOwnRoster(
  folderId: string,
  ownerId: string,
  ownSigningKey: Uint8Array,
  seen: SeenVersions | undefined,
): Promise<{ stored: EditorRoster | null; own: OwnRoster }> {
  const id = canonicalId(folderId);
  const [{ roster }, highest] = await Promise.all([
    api<EditorRosterResponse>('GET', `/api/nodes/${folderId}/editor-roster`),
    seen?.highest('editor-roster', id),
  ]);
  const signed = roster !== null && (await signedBy(roster, id, ownerId, ownSigningKey));
  if (signed && (highest === undefined || roster.version >= highest)) {
    await seen?.remember('editor-roster', id, roster.version);
    return { stored: roster, own: { kind: 'trusted', roster } };
  }
  return { stored: roster, own: highest === undefined ? { kind: 'none' } : { kind: 'lost', highest } };
}

async function signedBy(roster: EditorRoster, folderId: string, ownerId: string, key: Uint8Array): Promise<boolean> {
  try {
    await verifyEditorRoster(roster, { folderId, ownerId }, key);
    return true;
  } catch (error) {
    if (error instanceof CofferCryptoError) return false;
    throw error;
  }
}

/**
 * Whether an editor whose grant of `folderId` verifies is one by the folder's own roster: named by a trusted one, or
 * any with none yet; never while the roster this device saw is missing, foreign or rolled back.
 */
export function rosterAllows(own: OwnRoster, editorId: string): boolean {
  if (own.kind === 'none') return true;
  return own.kind === 'trusted' && own.roster.editors.some((editor) => editor.id === editorId);
}

/** Each folder's roster read once: a reader asks for the same folder once per grant given on it. */
export function ownRosters(ownerId: string, ownSigningKey: () => Promise<Uint8Array>, seen: SeenVersions | undefined) {
  const read = new Map<string, Promise<OwnRoster>>();
  return (folderId: string): Promise<OwnRoster> => {
    let own = read.get(folderId);
    if (!own) {
      own = ownSigningKey().then(async (key) => (await readOwnRoster(folderId, ownerId, key, seen)).own);
      read.set(folderId, own);
    }
    return own;
  };
}
