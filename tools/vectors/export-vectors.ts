/**
 * The export archive's vector (docs/FORMAT.md section 7): a small archive of the account vector's account, with nested
 * folders, an empty folder, an empty file, a file of several chunks and two files of one name, made as the web app
 * makes it (web/src/lib/export/archive-stream.ts) with every random input fixed; and the tree it opens to with the
 * account's recovery code.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../shared/crypto/bytes.ts';
import {
  collect,
  encodeBase64url,
  encryptBytes,
  encryptMetadata,
  exportManifestKey,
  KEY_PURPOSES,
  wrapKey,
  type ExportNode,
  type NodeKind,
} from '../../shared/crypto/index.ts';
import { exportArchiveStream, type ArchiveFile } from '../../web/src/lib/export/archive-stream.ts';
import { patternBytes } from '../../tests/vectors/pattern.ts';
import { deterministicRandom, TIMESTAMP } from './deterministic.ts';
import type { accountVectors } from './account-vectors.ts';

type AccountVector = Awaited<ReturnType<typeof accountVectors>>[number];

interface PlannedNode {
  id: string;
  parent: string | null;
  kind: NodeKind;
  name: string;
  /** A file's plaintext: this many bytes of the vector pattern. */
  size?: number;
}

const id = (n: number) => `c0ffee00-0000-4000-8000-0000000e${n.toString(16).padStart(4, '0')}`;
const TREE: PlannedNode[] = [
  { id: id(1), parent: null, kind: 'folder', name: 'My files' },
  { id: id(2), parent: id(1), kind: 'folder', name: 'Photos' },
  { id: id(3), parent: id(2), kind: 'folder', name: '2026 — été' },
  { id: id(4), parent: id(1), kind: 'folder', name: 'Empty' },
  { id: id(5), parent: id(1), kind: 'file', name: 'notes.txt', size: 2500 },
  { id: id(6), parent: id(3), kind: 'file', name: 'beach.jpg', size: 5 },
  { id: id(7), parent: id(2), kind: 'file', name: 'empty', size: 0 },
  { id: id(8), parent: id(1), kind: 'file', name: 'same.txt', size: 3 },
  { id: id(9), parent: id(1), kind: 'file', name: 'same.txt', size: 4 },
];
const CHUNK_SIZE = 1024;
const REVISION = 1;

function fromB64(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'base64url'));
}

export async function exportVectors(account: AccountVector) {
  // The zip's DOS dates are local time: the vector is written in UTC wherever it is made.
  process.env.TZ = 'UTC';
  const { random } = deterministicRandom('coffer export vector');
  const userId = account.userId;
  const masterKey = fromB64(account.masterKey);
  const token = () => ({ iv: random(16), timestamp: TIMESTAMP });
  const keys = new Map<string, Uint8Array>();
  const nodes: ExportNode[] = [];
  const files: ArchiveFile[] = [];
  const opened: { path: string; kind: NodeKind; size?: number; sha256?: string }[] = [];
  const paths = new Map<string, string>();
  for (const planned of TREE) {
    const key = random(32);
    keys.set(planned.id, key);
    const place = { ownerId: userId, nodeId: planned.id, parentId: planned.parent, kind: planned.kind };
    const purpose = planned.kind === 'folder' ? KEY_PURPOSES.folderKey : KEY_PURPOSES.fileKey;
    const wrappedKey = await wrapKey(
      planned.parent ? keys.get(planned.parent)! : masterKey,
      key,
      { purpose, owner: userId, object: planned.id },
      token(),
    );
    const size = planned.size ?? 0;
    const metadata =
      planned.kind === 'folder'
        ? await encryptMetadata(key, { ...place, kind: 'folder' }, { name: planned.name }, token())
        : await encryptMetadata(
            key,
            { ...place, kind: 'file' },
            { name: planned.name, type: 'text/plain', size, modified: TIMESTAMP * 1000, revision: REVISION },
            token(),
          );
    nodes.push({
      id: planned.id,
      parentId: planned.parent,
      kind: planned.kind,
      wrappedKey,
      encryptedMetadata: encodeBase64url(metadata),
      revision: planned.kind === 'file' ? REVISION : null,
    });
    const above = planned.parent ? paths.get(planned.parent)! : '';
    const taken = new Set(opened.map((node) => node.path));
    let name = planned.name;
    for (let n = 2; taken.has(above + name); n++) name = planned.name.replace(/^(.+?)((?:\.[^.]*)?)$/, `$1 (${n})$2`);
    const path = planned.parent ? above + name : '';
    paths.set(planned.id, path ? `${path}/` : '');
    if (planned.kind === 'folder') {
      if (planned.parent) opened.push({ path, kind: 'folder' });
      continue;
    }
    const plaintext = patternBytes(size);
    const stream = await encryptBytes(plaintext, {
      fileKey: key,
      fileId: Uint8Array.from(Buffer.from(planned.id.replaceAll('-', ''), 'hex')),
      revision: REVISION,
      chunkSize: CHUNK_SIZE,
      random,
      now: () => TIMESTAMP,
    });
    files.push({ nodeId: planned.id, size: stream.length, open: () => Promise.resolve(single(stream)) });
    opened.push({ path, kind: 'file', size, sha256: createHash('sha256').update(plaintext).digest('hex') });
  }
  const recovery = account.recovery;
  const archive = await collect(
    exportArchiveStream(
      {
        userId,
        manifestKey: await exportManifestKey(masterKey),
        account: {
          version: 1,
          userId,
          recoveryWrap: { salt: recovery.salt, wrapped: recovery.wrapped },
          privateKeys: {
            sharing: (account.privateKeys.sharing as { wrapped: string }).wrapped,
            signing: (account.privateKeys.signing as { wrapped: string }).wrapped,
          },
          publicKeys: account.publicKeys,
        },
        nodes: { version: 1, rootId: TREE[0]!.id, nodes },
        files,
        createdAt: TIMESTAMP * 1000,
      },
      undefined,
      token(),
    ),
  );
  return [
    {
      name: 'export-archive',
      userId,
      recoveryCode: recovery.code,
      manifestKey: encodeBase64url(await exportManifestKey(masterKey)),
      archive: encodeBase64url(archive),
      archiveSha256: toHex(createHash('sha256').update(archive).digest()),
      /** What the archive opens to: every folder but the root, and every file with its plaintext's size and hash. */
      opened,
    },
  ];
}

function single(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
