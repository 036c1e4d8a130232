/**
 * Editor rosters (docs/FORMAT.md section 5.4): the owner of a shared folder signs, with an increasing version, the list
 * of the accounts holding editor grants on it, each with the signing key the owner pinned for them. A member cannot see
 * the owner's grants to others; with the roster it can check a manifest or an author signature by any editor the
 * owner vouches for, with the key the owner vouches for, instead of taking the server's word for either.
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { concatBytes, own, u16, u32, u8, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { EDITOR_ROSTER_VERSION, LABEL_FOLDER_EDITORS } from './labels.ts';
import { bytesToUuid, isCanonicalUuid, uuidToBytes } from './uuid.ts';

const subtle = globalThis.crypto.subtle;
const ECDSA_P256: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNATURE_BYTES = 64;
/** A P-256 SPKI is 91 bytes; anything far longer is not a key. */
const MAX_KEY_BYTES = 512;
export const MAX_ROSTER_VERSION = 0xffff_ffff;

/** One editor as the roster names it: the account and its signing public key (SPKI), base64url. */
export interface RosterEditor {
  id: string;
  signingKey: string;
}

/** An editor roster as stored beside the shared folder and listed to its members. */
export interface EditorRoster {
  version: number;
  editors: RosterEditor[];
  /** ECDSA P-256 r || s by the owner's signing key, base64url. */
  signature: string;
}

/** Everything a roster signature binds. */
export interface EditorRosterStatement {
  folderId: string;
  ownerId: string;
  version: number;
  editors: RosterEditor[];
}

const field = (bytes: Uint8Array) => [u16(bytes.length), bytes];
const malformed = (message: string) => new CofferCryptoError('EDITOR_ROSTER_MALFORMED', message);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function decoded(value: unknown): Uint8Array | undefined {
  try {
    return typeof value === 'string' ? decodeBase64url(value) : undefined;
  } catch {
    return undefined;
  }
}

/** The editors in the one order the format signs them: by the id's 16 bytes, ascending, each id once. */
function sortedEditors(editors: readonly RosterEditor[]): { id: Uint8Array; key: Uint8Array }[] {
  const sorted = editors.map((editor) => {
    if (!isCanonicalUuid(editor.id)) throw malformed("a roster editor's id is not a UUID in lower case");
    const key = decoded(editor.signingKey);
    if (!key || key.length === 0 || key.length > MAX_KEY_BYTES) {
      throw malformed(`a roster editor's signing key is not 1 to ${MAX_KEY_BYTES} bytes in base64url`);
    }
    return { id: uuidToBytes(editor.id), key };
  });
  sorted.sort((a, b) => compareBytes(a.id, b.id));
  sorted.forEach((editor, i) => {
    if (i > 0 && compareBytes(sorted[i - 1]!.id, editor.id) === 0) {
      throw malformed(`a roster names ${bytesToUuid(editor.id)} twice`);
    }
  });
  return sorted;
}

/**
 * The bytes the owner signs (docs/FORMAT.md section 5.4): the label, the format version, the folder and owner ids,
 * the roster's version, and the SHA-256 of the editors: a u32 count, then each editor's 16-byte id and its
 * length-prefixed signing key, sorted by id.
 */
export async function rosterSignedBytes(statement: EditorRosterStatement): Promise<Uint8Array<ArrayBuffer>> {
  const { version } = statement;
  if (!Number.isInteger(version) || version < 1 || version > MAX_ROSTER_VERSION) {
    throw malformed(`a roster's version is not an integer from 1 to ${MAX_ROSTER_VERSION}`);
  }
  if (!isCanonicalUuid(statement.folderId) || !isCanonicalUuid(statement.ownerId)) {
    throw malformed("a roster's folder or owner is not a UUID in lower case");
  }
  const editors = sortedEditors(statement.editors);
  const digest = new Uint8Array(
    await subtle.digest(
      'SHA-256',
      concatBytes(u32(editors.length), ...editors.flatMap((editor) => [editor.id, ...field(editor.key)])),
    ),
  );
  const fields = [uuidToBytes(statement.folderId), uuidToBytes(statement.ownerId), u32(version), digest];
  return concatBytes(
    utf8(LABEL_FOLDER_EDITORS),
    u8(0),
    u8(EDITOR_ROSTER_VERSION),
    ...fields.flatMap((bytes) => field(bytes)),
  );
}

/** Signs a folder's editor roster with the owner's ECDSA P-256 signing private key. */
export async function signEditorRoster(statement: EditorRosterStatement, signingKey: CryptoKey): Promise<EditorRoster> {
  const signed = await rosterSignedBytes(statement);
  const signature = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey, signed));
  return { version: statement.version, editors: [...statement.editors], signature: encodeBase64url(signature) };
}

/**
 * Checks that the owner's key signed this roster for this folder. EDITOR_ROSTER_MALFORMED for one that is not well
 * formed; EDITOR_ROSTER_INVALID, whichever field differs, for one that does not verify.
 */
export async function verifyEditorRoster(
  roster: EditorRoster,
  folder: { folderId: string; ownerId: string },
  ownerSigningKey: Uint8Array,
): Promise<void> {
  const value = (typeof roster === 'object' && roster !== null ? roster : {}) as Partial<EditorRoster>;
  if (!Array.isArray(value.editors) || value.editors.some((editor) => typeof editor !== 'object' || !editor)) {
    throw malformed('a roster is { version, editors: [{ id, signingKey }], signature }');
  }
  const signature = decoded(value.signature);
  if (signature?.length !== SIGNATURE_BYTES) {
    throw malformed(`a roster signature is not ${SIGNATURE_BYTES} bytes (r || s) in base64url`);
  }
  const signed = await rosterSignedBytes({ ...folder, version: value.version as number, editors: value.editors });
  let key: CryptoKey;
  try {
    key = await subtle.importKey('spki', own(ownerSigningKey), ECDSA_P256, false, ['verify']);
  } catch {
    throw new CofferCryptoError('BAD_KEY', `the owner's signing key is not a P-256 public key in SPKI form`);
  }
  if (!(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, own(signature), signed))) {
    throw new CofferCryptoError(
      'EDITOR_ROSTER_INVALID',
      `the list of editors of folder ${folder.folderId} does not verify with its owner's signing key: the owner did not sign it`,
    );
  }
}
