/** Accounts that share: each with its key pairs published, as sign-up publishes them, and a way to make real grants. */
import {
  exportPublicKey,
  generateAccountKeyPairs,
  generateNodeKey,
  makeGrant,
  type AccountKeyPairs,
  type Grant,
  type GrantRole,
} from '../../shared/crypto/index.ts';
import type { NodeKind } from '../../shared/crypto/index.ts';
import { publicKeys } from '../../server/db/schema.ts';
import { createFolder, createRoot, json, ok } from './client.ts';
import type { Harness, TestUser } from './harness.ts';

export interface SharingUser extends TestUser {
  keys: AccountKeyPairs;
}

export async function makeSharingUser(h: Harness, quotaBytes?: number): Promise<SharingUser> {
  const user = await h.makeUser(quotaBytes);
  const keys = await generateAccountKeyPairs();
  await h.db.insert(publicKeys).values(
    await Promise.all(
      (['sharing', 'signing'] as const).map(async (purpose) => ({
        id: crypto.randomUUID(),
        userId: user.id,
        purpose,
        publicKey: await exportPublicKey(keys[purpose].publicKey),
      })),
    ),
  );
  return { ...user, keys };
}

/** A sharing user with a root folder and a folder in it, the folder being what a test shares or links. */
export async function sharingUserWithFolder(h: Harness): Promise<{ owner: SharingUser; root: string; folder: string }> {
  const owner = await makeSharingUser(h);
  const root = await createRoot(owner);
  const folder = await createFolder(owner, root);
  return { owner, root, folder };
}

/** A grant of `nodeId`'s key from `sender` (its owner unless said otherwise) to `recipient`, signed and sealed. */
export async function grantFor(
  sender: SharingUser,
  recipient: SharingUser,
  nodeId: string,
  terms: { kind?: NodeKind; role?: GrantRole; ownerId?: string } = {},
): Promise<Grant> {
  return makeGrant({
    terms: {
      senderId: sender.id,
      recipientId: recipient.id,
      ownerId: terms.ownerId ?? sender.id,
      nodeId,
      kind: terms.kind ?? 'folder',
      role: terms.role ?? 'viewer',
    },
    nodeKey: generateNodeKey(),
    senderSigningKey: sender.keys.signing.privateKey,
    recipientSharingKey: await exportPublicKey(recipient.keys.sharing.publicKey),
  });
}

export interface ShareInfo {
  id: string;
  nodeId: string;
  role: GrantRole;
  status: 'pending' | 'accepted' | 'declined';
}

/** Shares `nodeId` and has the recipient accept: the share in force. */
export async function shareAccepted(
  sender: SharingUser,
  recipient: SharingUser,
  nodeId: string,
  terms: { kind?: NodeKind; role?: GrantRole } = {},
): Promise<ShareInfo> {
  const share = await ok<ShareInfo>(
    sender.request('/api/shares', json({ grant: await grantFor(sender, recipient, nodeId, terms) })),
    201,
  );
  return ok<ShareInfo>(recipient.request(`/api/shares/${share.id}/accept`, { method: 'POST' }));
}
