/**
 * The encrypted export archive (docs/FORMAT.md section 7): what its entries hold, and its manifest, a Fernet token
 * under a key derived from the master key that binds the account and every other entry's size and SHA-256. Only the
 * recovery code (through the archive's own recovery wrap) reaches that key, so whoever alters, swaps, adds or drops an
 * entry cannot make a manifest that still opens.
 */
import { fromUtf8, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { decryptTokenText, encryptTokenText, importFernetKey, type EncryptTokenOptions } from './fernet.ts';
import { hkdf, importHkdfKey } from './hkdf.ts';
import { EXPORT_VERSION, LABEL_EXPORT_MANIFEST } from './labels.ts';
import type { NodeKind } from './tree.ts';

/** The entries' names; a stream's is STREAM_ENTRY_PREFIX and its node's id. The manifest is the archive's last entry. */
export const EXPORT_ENTRIES = { account: 'account.json', nodes: 'nodes.json', manifest: 'manifest' } as const;
export const STREAM_ENTRY_PREFIX = 'streams/';

/** `account.json`: the account's keys exactly as the server keeps them. */
export interface ExportAccount {
  version: typeof EXPORT_VERSION;
  userId: string;
  recoveryWrap: { salt: string; wrapped: string };
  privateKeys: { sharing: string | null; signing: string | null };
  publicKeys: Record<string, string>;
}

/** One node of `nodes.json`, as the server keeps it; `revision` is the number of a file's current revision. */
export interface ExportNode {
  id: string;
  parentId: string | null;
  kind: NodeKind;
  wrappedKey: string;
  encryptedMetadata: string;
  revision: number | null;
}

/** `nodes.json`: the account's tree, every folder before what it holds. */
export interface ExportNodes {
  version: typeof EXPORT_VERSION;
  rootId: string;
  nodes: ExportNode[];
}

export interface ManifestEntry {
  name: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
}

export interface ExportManifest {
  version: typeof EXPORT_VERSION;
  userId: string;
  /** When the archive was made, ms since 1970. */
  createdAt: number;
  entries: ManifestEntry[];
}

export function streamEntryName(nodeId: string): string {
  return `${STREAM_ENTRY_PREFIX}${nodeId}`;
}

/** `manifest_key = HKDF(master_key, salt = "", info = "coffer/v1/export/manifest")`, used as a Fernet key. */
export async function exportManifestKey(masterKey: Uint8Array): Promise<Uint8Array> {
  return hkdf(await importHkdfKey(masterKey), new Uint8Array(0), utf8(LABEL_EXPORT_MANIFEST));
}

/** The manifest entry's content: the token's text form. `options` is for test vectors only. */
export async function sealManifest(
  manifestKey: Uint8Array,
  manifest: ExportManifest,
  options?: EncryptTokenOptions,
): Promise<string> {
  return encryptTokenText(await importFernetKey(manifestKey), utf8(JSON.stringify(manifest)), options);
}

/** Throws EXPORT_INVALID unless the token opens under this key and holds a manifest of this account. */
export async function openManifest(manifestKey: Uint8Array, token: string, userId: string): Promise<ExportManifest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(await decryptTokenText(await importFernetKey(manifestKey), token)));
  } catch (error) {
    if (error instanceof CofferCryptoError || error instanceof SyntaxError || error instanceof TypeError) {
      throw exportInvalid('its manifest does not authenticate under the account key');
    }
    throw error;
  }
  const manifest = parsed as Partial<ExportManifest> | null;
  if (
    typeof manifest !== 'object' ||
    manifest === null ||
    manifest.version !== EXPORT_VERSION ||
    manifest.userId !== userId ||
    !Array.isArray(manifest.entries) ||
    !manifest.entries.every(isManifestEntry)
  ) {
    throw exportInvalid(`its manifest is not a version ${EXPORT_VERSION} manifest of account ${userId}`);
  }
  return manifest as ExportManifest;
}

function isManifestEntry(entry: unknown): entry is ManifestEntry {
  const { name, size, sha256 } = (entry ?? {}) as Partial<ManifestEntry>;
  return (
    typeof name === 'string' &&
    Number.isSafeInteger(size) &&
    size! >= 0 &&
    typeof sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(sha256)
  );
}

export function exportInvalid(why: string): CofferCryptoError {
  return new CofferCryptoError('EXPORT_INVALID', `this is not an intact Coffer export archive: ${why}`);
}
