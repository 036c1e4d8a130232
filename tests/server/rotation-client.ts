/**
 * The owner's side of a key rotation in the server tests: the app's api() for a test user, the key ring the rotation
 * reads and updates, and a folder shared and accepted with real grants.
 */
import { exportPublicKey, makeGrant, type GrantRole } from '../../shared/crypto/index.ts';
import { ApiRequestError } from '../../web/src/lib/api.ts';
import type { RotationRing, Send } from '../../web/src/lib/sharing/rotate-keys.ts';
import { json, ok } from './client.ts';
import type { TestUser } from './harness.ts';
import type { KeyedNode } from './keyed-tree.ts';
import type { SharingUser } from './sharing-accounts.ts';

/** The app's api() for a test user: JSON in and out, refusals as ApiRequestError. */
export function sendAs(user: TestUser): Send {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await user.request(path, body === undefined ? { method } : { ...json(body), method });
    const text = await response.text();
    const parsed = (text ? JSON.parse(text) : undefined) as { error?: { code: string; message: string } } | undefined;
    if (!response.ok) {
      throw new ApiRequestError(parsed?.error?.code ?? 'HTTP_ERROR', parsed?.error?.message ?? '', response.status);
    }
    return parsed as T;
  };
}

/** A key ring holding the owner's keys: what rotateFolderKeys reads and updates. */
export function ringOf(held: KeyedNode[]): RotationRing & { keys: Map<string, Uint8Array> } {
  const keys = new Map(held.map((node) => [node.id, node.key]));
  return {
    keys,
    keyOf: (nodeId) => keys.get(nodeId),
    replaceKeys: (replaced) => {
      for (const [nodeId, key] of replaced) if (keys.has(nodeId)) keys.set(nodeId, key);
    },
  };
}

/** Shares `folder` with `recipient`, who accepts it; the share's id. */
export async function shareFolder(owner: SharingUser, recipient: SharingUser, folder: KeyedNode, role: GrantRole) {
  const grant = await makeGrant({
    terms: {
      senderId: owner.id,
      recipientId: recipient.id,
      ownerId: owner.id,
      nodeId: folder.id,
      kind: 'folder',
      role,
    },
    nodeKey: folder.key,
    senderSigningKey: owner.keys.signing.privateKey,
    recipientSharingKey: await exportPublicKey(recipient.keys.sharing.publicKey),
  });
  const made = await ok<{ id: string }>(owner.request('/api/shares', json({ grant })), 201);
  await ok(recipient.request(`/api/shares/${made.id}/accept`, { method: 'POST' }));
  return made.id;
}
