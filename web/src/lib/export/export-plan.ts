/**
 * Plans an encrypted export of the account (docs/FORMAT.md section 7) on the page: the account's keys as the server
 * keeps them, and every node of the account's own tree, walked folder by folder and opened as the file browser opens
 * it (each key under its parent's, each metadata for its place, each author's signature by the folder's rules). A
 * record that fails is counted and left out, never packed; so are the items inside a folder that failed. The server
 * is not trusted for any of it: the private keys must unwrap and match the published public keys, and the root must
 * open under the master key. Only the recovery wrap cannot be checked here, as the page does not hold the code: the
 * archive's manifest is sealed under a key from the master key the page holds, so a wrap that does not open to that
 * key makes the archive refused when it is opened, never read as another account's.
 */
import type { AccountBundle, NodeRecord } from '$shared/api/responses.ts';
import { exportManifestKey, readHeaderFields, verifyPublishedKeys, decodeBase64url } from '$shared/crypto/index.ts';
import type { ExportNode } from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import type { Contact } from '../contacts/contact-book.ts';
import { authorRules } from '../files/author-rules.ts';
import { fileEntry } from '../files/download-jobs.ts';
import { KeyRing } from '../files/key-ring.ts';
import { checkAuthors } from '../files/node-authors.ts';
import type { OpenNode } from '../files/node-records.ts';
import { openSeenVersions } from '../integrity/seen-versions.ts';
import { streamSizeOf } from '../upload/segment-plan.ts';
import type { ExportFile, ExportJob } from './export-job.ts';

export interface ExportPlan {
  job: ExportJob;
  /** Items that failed their checks and are not in the archive. */
  refused: number;
  folders: number;
}

export async function planExport(
  account: UnlockedAccount,
  contacts: Contact[],
  walked: (folders: number) => void = () => undefined,
): Promise<ExportPlan> {
  const bundle = await api<AccountBundle>('GET', '/api/account');
  if (bundle.userId !== account.userId) throw new Error('The server answered for another account.');
  if (!bundle.recoveryWrap) {
    throw new Error(
      'This account has no recovery code, which is what opens an export. Make a new recovery code, then export.',
    );
  }
  await verifyPublishedKeys(account.masterKey, account.userId, bundle.privateKeys, bundle.publicKeys);
  const ring = new KeyRing();
  const seen = openSeenVersions(account.userId);
  try {
    const rootRecord = await api<NodeRecord>('GET', '/api/nodes/root');
    const root = await ring.openRoot(account.userId, account.masterKey, rootRecord);
    const nodes: ExportNode[] = [exportNode(rootRecord)];
    const files: ExportFile[] = [];
    let refused = 0;
    let folders = 0;
    const waiting: { folder: OpenNode; path: string; above: string[] }[] = [{ folder: root, path: '', above: [] }];
    for (let next = waiting.shift(); next; next = waiting.shift()) {
      const { folder, path } = next;
      const above = [...next.above, folder.id];
      const rules = await authorRules({ account, contacts, folderId: folder.id, ownerId: account.userId, above, seen });
      const { children } = await api<{ children: NodeRecord[] }>('GET', `/api/nodes/${folder.id}/children`);
      const checked = await checkAuthors(await ring.openChildren(folder.id, children), children, rules);
      refused += checked.refused.length;
      const recordOf = new Map(children.map((record) => [record.id, record]));
      for (const node of checked.opened) {
        nodes.push(exportNode(recordOf.get(node.id)!));
        if (node.kind === 'folder') waiting.push({ folder: node, path: `${path}${node.name}/`, above });
        else if (node.revision) {
          const chunkSize = readHeaderFields(decodeBase64url(node.revision.header)).chunkSize;
          files.push({ ...fileEntry(ring, node, path + node.name), streamSize: streamSizeOf(node.size, chunkSize) });
        }
      }
      walked(++folders);
    }
    const { userId } = account;
    return {
      job: {
        userId,
        manifestKey: await exportManifestKey(account.masterKey),
        account: {
          version: 1,
          userId,
          recoveryWrap: bundle.recoveryWrap,
          privateKeys: bundle.privateKeys,
          publicKeys: bundle.publicKeys,
        },
        nodes: { version: 1, rootId: root.id, nodes },
        files,
        createdAt: Date.now(),
      },
      refused,
      folders,
    };
  } finally {
    ring.close();
  }
}

/** The record as the server keeps it, and the number of the revision it was opened with. */
function exportNode(record: NodeRecord): ExportNode {
  return {
    id: record.id,
    parentId: record.parentId,
    kind: record.kind,
    wrappedKey: record.wrappedKey,
    encryptedMetadata: record.encryptedMetadata,
    revision: record.kind === 'file' ? (record.currentRevision?.number ?? null) : null,
  };
}
