/**
 * What a folder's signed manifest (docs/FORMAT.md section 5.3) says of the listing the server gave: whether the server
 * showed an older state than this device has seen, which listed children the manifest does not name as they are
 * (refused, like any item that fails its integrity check), and how many it names that the server did not show. A
 * folder with no manifest yet is taken as listed (trust on first use), unless this device has seen one for it. A
 * manifest this reader cannot trust (a writer it cannot verify, a signature that fails) counts as none: a server
 * cannot turn the check off by forging one. Only a manifest that verified has its version remembered.
 */
import {
  CofferCryptoError,
  decodeBase64url,
  isCanonicalUuid,
  manifestEntry,
  verifyFolderManifest,
  type FolderManifest,
} from '$shared/crypto/index.ts';
import type { Opened } from '../files/key-ring.ts';
import { LISTED_TWICE, recordsById } from '../files/listed-once.ts';
import type { AuthorRules } from '../files/node-authors.ts';
import type { NodeRecord } from '../files/node-records.ts';
import { TamperedNodeError } from '../files/open-record.ts';
import { canonicalId, type SeenVersions } from './seen-versions.ts';

export interface ManifestFindings extends Opened {
  /** The version shown (null for none) when it is below the highest this device has seen of the folder. */
  older: { shown: number | null; seen: number } | null;
  /** How many children the manifest names that the server did not list. */
  missing: number;
  /** Why the manifest itself could not be trusted (another writer than the folder's, a signature that fails). */
  untrusted: string | null;
  /** How many listed children were not shown because no state this device trusts vouches for them. */
  withheld: number;
}

export interface ListedFolder {
  id: string;
  ownerId: string;
  records: NodeRecord[];
  manifest: FolderManifest | null;
  /**
   * The highest version this device remembered of the folder before it asked for the listing: one remembered since
   * (this tab's signer, another tab) is newer than the listing, not a rollback of it.
   */
  seenBefore: number | undefined;
}

export async function checkManifest(
  listedFolder: ListedFolder,
  listed: Opened,
  rules: AuthorRules,
  seen: SeenVersions,
): Promise<ManifestFindings> {
  // The folder's id as the format spells it, whatever spelling reached this page: the one its manifest signs.
  const folder = { ...listedFolder, id: canonicalId(listedFolder.id) };
  const highest = folder.seenBefore;
  const { manifest } = folder;
  const untrusted = manifest && (await writerProblem(folder, manifest, rules));
  if (!manifest || untrusted) {
    // A member's view of a manifest by a signer it cannot know, at a version above what it has seen, may be another
    // editor's honest write: shown with the warning that it could not be checked. One at or below that version is
    // a state older than one this device saw, whoever signed it.
    const perhapsNewer =
      manifest !== null &&
      rules.unknownSignersPossible === true &&
      !(rules.signers ?? rules.writers).has(manifest.writerId) &&
      (highest === undefined || manifest.version > highest);
    if (highest === undefined || perhapsNewer) {
      return { ...listed, older: null, missing: 0, untrusted: untrusted || null, withheld: 0 };
    }
    // This device saw a signed state the server no longer shows, and remembers its version, not what it named: none
    // of the children listed now is vouched for.
    const withheld = listed.opened.map(
      (node) =>
        new TamperedNodeError(node.id, 'the server no longer shows the signed list of contents this device has seen'),
    );
    return {
      opened: [],
      refused: [...listed.refused, ...withheld],
      older: { shown: null, seen: highest },
      missing: 0,
      untrusted: untrusted || null,
      withheld: withheld.length,
    };
  }
  const older = highest !== undefined && manifest.version < highest ? { shown: manifest.version, seen: highest } : null;
  if (!older) await seen.remember('folder', folder.id, manifest.version);

  // The signature verified, so every entry's id is in its one spelling and named once.
  const named = new Map(manifest.children.map((entry) => [entry.id, entry.digest]));
  const recordOf = recordsById(folder.records);
  const opened = [];
  const refused = [...listed.refused];
  for (const node of listed.opened) {
    const digest = named.get(node.id);
    const record = recordOf.get(node.id);
    if (!record) {
      refused.push(new TamperedNodeError(node.id, LISTED_TWICE));
    } else if (digest === undefined) {
      refused.push(new TamperedNodeError(node.id, "the folder's signed list of contents does not name it"));
    } else if (digest !== (await digestOf(record))) {
      refused.push(new TamperedNodeError(node.id, "it is not as the folder's signed list of contents names it"));
    } else {
      opened.push(node);
    }
  }
  const shown = new Set(folder.records.map((record) => record.id.toLowerCase()));
  const missing = [...named.keys()].filter((id) => !shown.has(id)).length;
  return { opened, refused, older, missing, untrusted: null, withheld: 0 };
}

/** Why the manifest is not one this reader can trust, or null when its writer signed it for this folder. */
async function writerProblem(
  folder: ListedFolder,
  manifest: FolderManifest,
  rules: AuthorRules,
): Promise<string | null> {
  if (!isCanonicalUuid(manifest.writerId)) return 'the server gave its writer as something other than an account id';
  if (!(rules.signers ?? rules.writers).has(manifest.writerId)) {
    return `it was signed by account ${manifest.writerId.slice(0, 8)}, which is not a writer of this folder you know of`;
  }
  const key = await rules.keyOf(manifest.writerId);
  if (!key) return `no signing key this device can trust is known for its writer ${manifest.writerId.slice(0, 8)}`;
  try {
    await verifyFolderManifest(manifest, { folderId: folder.id, ownerId: folder.ownerId }, key.signingKey);
    return null;
  } catch (error) {
    if (error instanceof CofferCryptoError) return error.message;
    throw error;
  }
}

/** The digest of a listed child's state, or null for a record that cannot be described (a file with no revision). */
export async function digestOf(record: NodeRecord): Promise<string | null> {
  const revision = record.currentRevision;
  try {
    const entry = await manifestEntry({
      id: record.id,
      kind: record.kind,
      revision:
        record.kind === 'file' && revision
          ? { number: revision.number, header: decodeBase64url(revision.header) }
          : null,
      encryptedMetadata: decodeBase64url(record.encryptedMetadata),
    });
    return entry.digest;
  } catch (error) {
    if (error instanceof CofferCryptoError) return null;
    throw error;
  }
}

/** What the folder view says of the findings, in plain words; empty when there is nothing to say. */
export function manifestWarnings(
  findings: Pick<ManifestFindings, 'older' | 'missing' | 'untrusted' | 'withheld'>,
): string[] {
  const warnings: string[] = [];
  const { older, missing, untrusted, withheld } = findings;
  if (untrusted) warnings.push(`This folder's signed list of contents could not be checked: ${untrusted}.`);
  if (older) {
    const shown = older.shown === null ? 'no signed version' : `version ${older.shown}`;
    warnings.push(
      `The server showed an older state of this folder (${shown}; this device has seen ${older.seen}). Items may be missing or out of date.`,
    );
  }
  if (missing > 0) {
    warnings.push(
      missing === 1
        ? 'One item this folder should hold was not shown by the server.'
        : `${missing} items this folder should hold were not shown by the server.`,
    );
  }
  if (withheld > 0) {
    warnings.push(
      withheld === 1
        ? 'One item the server listed is not shown: no signed list of contents this device trusts names it.'
        : `${withheld} items the server listed are not shown: no signed list of contents this device trusts names them.`,
    );
  }
  return warnings;
}
