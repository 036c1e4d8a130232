/**
 * Folder manifest vectors (docs/FORMAT.md section 5.3): an owner's folder holding a file and a subfolder, and a
 * folder an editor emptied. Headers and metadata are fixed bytes standing for what a client sent; each child's entry
 * digest, the signed bytes and a signature that verifies are given. A signature from the previous run is kept when it
 * still verifies over the same bytes (kept-signature.ts says why).
 */
import { toHex } from '../../shared/crypto/bytes.ts';
import {
  decodeBase64url,
  encodeBase64url,
  HEADER_BYTES,
  manifestEntry,
  manifestSignedBytes,
  signFolderManifest,
  type FolderManifest,
  type FolderManifestEntry,
  type NodeKind,
} from '../../shared/crypto/index.ts';
import { keyPairFromJwk, type VectorJwk } from '../../tests/vectors/keys.ts';
import { deterministicRandom, seededJwk } from './deterministic.ts';
import { keptSignature } from './kept-signature.ts';

export interface FolderManifestVector {
  name: string;
  signingKey: VectorJwk;
  folderId: string;
  ownerId: string;
  /** Each live child's state as listed: binary fields in base64url. */
  children: {
    id: string;
    kind: NodeKind;
    revision: { number: number; header: string } | null;
    encryptedMetadata: string;
  }[];
  signedBytes: string;
  manifest: FolderManifest;
}

const OWNER_ID = 'c0ffee00-0000-4000-8000-0000000000aa';
const EDITOR_ID = 'c0ffee00-0000-4000-8000-0000000000bb';
const FOLDER_ID = 'c0ffee00-0000-4000-8000-000000000002';

export async function folderManifestVectors(previous: FolderManifestVector[] | undefined) {
  const cases: [string, string, number, NodeKind[]][] = [
    ['owner-file-and-folder', OWNER_ID, 6, ['folder', 'file']],
    ['editor-emptied-folder', EDITOR_ID, 2, []],
  ];
  const vectors: FolderManifestVector[] = [];
  for (const [name, writerId, version, kinds] of cases) {
    const { random } = deterministicRandom(`coffer folder manifest vector ${name}`);
    const signingKey = seededJwk(`coffer folder manifest vector ${name} signing key`);
    // Listed in the server's order (oldest first), which is not the signed order (by id).
    const children = kinds.map((kind, i) => ({
      id: `c0ffee00-0000-4000-8000-00000000002${kinds.length - i}`,
      kind,
      revision: kind === 'file' ? { number: 3, header: encodeBase64url(random(HEADER_BYTES)) } : null,
      encryptedMetadata: encodeBase64url(random(153)),
    }));
    const entries = await Promise.all(
      children.map((child) =>
        manifestEntry({
          ...child,
          revision: child.revision && { number: child.revision.number, header: decodeBase64url(child.revision.header) },
          encryptedMetadata: decodeBase64url(child.encryptedMetadata),
        }),
      ),
    );
    const statement = { folderId: FOLDER_ID, ownerId: OWNER_ID, writerId, version, children: entries };
    const writer = await keyPairFromJwk(signingKey, 'ECDSA');
    const signedBytes = await manifestSignedBytes(statement);
    const before = previous?.find((vector) => vector.name === name);
    const signature = await keptSignature(
      before && { signedBytes: before.signedBytes, signature: before.manifest.signature },
      signedBytes,
      writer.publicKey,
      async () => (await signFolderManifest(statement, writer.privateKey)).signature,
    );
    vectors.push({
      name,
      signingKey,
      folderId: FOLDER_ID,
      ownerId: OWNER_ID,
      children,
      signedBytes: toHex(signedBytes),
      manifest: { version, writerId, children: entries, signature },
    });
  }
  return vectors;
}

/** A manifest a reader refuses, and the error it refuses it with. */
export interface FolderManifestRefusalVector {
  name: string;
  signingKey: VectorJwk;
  folderId: string;
  ownerId: string;
  manifest: FolderManifest;
  error: 'FOLDER_MANIFEST_INVALID' | 'FOLDER_MANIFEST_MALFORMED';
}

/**
 * Refusals (docs/FORMAT.md section 5.3), each a change a server could make to the first vector that holds children:
 * checked for another folder or owner, credited to another writer, a child named twice, a child's digest altered, and
 * an id in upper case, whose bytes are the signed ones but whose spelling is not the one the format takes.
 */
export function folderManifestRefusalVectors(vectors: FolderManifestVector[]): FolderManifestRefusalVector[] {
  const base = vectors.find((vector) => vector.children.length > 1)!;
  const { manifest } = base;
  const [first, second] = manifest.children as [FolderManifestEntry, FolderManifestEntry];
  const digest = decodeBase64url(first.digest);
  digest[0]! ^= 1;
  const cases: [
    string,
    Partial<FolderManifestRefusalVector>,
    Partial<FolderManifest>,
    FolderManifestRefusalVector['error'],
  ][] = [
    ['another-folder', { folderId: 'c0ffee00-0000-4000-8000-000000000003' }, {}, 'FOLDER_MANIFEST_INVALID'],
    ['another-owner', { ownerId: EDITOR_ID }, {}, 'FOLDER_MANIFEST_INVALID'],
    ['another-writer', {}, { writerId: EDITOR_ID }, 'FOLDER_MANIFEST_INVALID'],
    ['id-named-twice', {}, { children: [first, second, first] }, 'FOLDER_MANIFEST_MALFORMED'],
    [
      'bad-child-digest',
      {},
      { children: [{ ...first, digest: encodeBase64url(digest) }, second] },
      'FOLDER_MANIFEST_INVALID',
    ],
    [
      'upper-case-id',
      {},
      { children: [{ ...first, id: first.id.toUpperCase() }, second] },
      'FOLDER_MANIFEST_MALFORMED',
    ],
  ];
  return cases.map(([name, place, change, error]) => ({
    name,
    signingKey: base.signingKey,
    folderId: place.folderId ?? base.folderId,
    ownerId: place.ownerId ?? base.ownerId,
    manifest: { ...manifest, ...change },
    error,
  }));
}
