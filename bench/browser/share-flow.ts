/**
 * One round of bench/share.ts, the same code in Node and in Chromium's page: share a folder with an account (make the
 * grant, POST it), then revoke that share and rotate the folder's keys with the web app's revokeShare. Also the
 * ceiling: the bare WebCrypto operations a rotation cannot do without, four per file (the old wrap's HMAC and AES-CBC
 * decryption, the new wrap's AES-CBC encryption and HMAC), at the same concurrency.
 */
import { makeGrant } from '../../shared/crypto/index.ts';
import { revokeShare } from '../../web/src/lib/sharing/revoke-share.ts';
import type { RotationRing, Send } from '../../web/src/lib/sharing/rotate-keys.ts';

export interface FlowInput {
  ownerId: string;
  folderId: string;
  masterKey: Uint8Array;
  signingKey: CryptoKey;
  /** The account shared with and then removed, and the one who keeps access: their sharing public keys (SPKI). */
  removed: { id: string; sharingKey: Uint8Array };
  kept: { id: string; sharingKey: Uint8Array };
  send: Send;
  /** The removed account accepts the share (not timed). */
  accept: (shareId: string) => Promise<void>;
}

export interface RoundTimes {
  shareMs: number;
  revokeMs: number;
  /** Of revokeMs, the time spent waiting for the server (DELETE, listing, applying). */
  serverMs: number;
}

export async function shareAndRevoke(input: FlowInput, ring: RotationRing): Promise<RoundTimes> {
  const shareStart = performance.now();
  const grant = await makeGrant({
    terms: {
      senderId: input.ownerId,
      recipientId: input.removed.id,
      ownerId: input.ownerId,
      nodeId: input.folderId,
      kind: 'folder',
      role: 'viewer',
    },
    nodeKey: ring.keyOf(input.folderId)!,
    senderSigningKey: input.signingKey,
    recipientSharingKey: input.removed.sharingKey,
  });
  const share = await input.send<{ id: string }>('POST', '/api/shares', { grant });
  const shareMs = performance.now() - shareStart;
  await input.accept(share.id);

  let serverMs = 0;
  const send: Send = async <T>(method: string, path: string, body?: unknown) => {
    const start = performance.now();
    try {
      return await input.send<T>(method, path, body);
    } finally {
      serverMs += performance.now() - start;
    }
  };
  const revokeStart = performance.now();
  await revokeShare(
    ring,
    { id: share.id, nodeId: input.folderId, kind: 'folder' },
    {
      account: { userId: input.ownerId, masterKey: input.masterKey, signingKey: input.signingKey },
      recipientSharingKey: (recipientId) => {
        if (recipientId !== input.kept.id) throw new Error(`no pinned key for ${recipientId}`);
        return Promise.resolve(input.kept.sharingKey);
      },
      send,
    },
  );
  return { shareMs, revokeMs: performance.now() - revokeStart, serverMs };
}

/** The four bare WebCrypto calls per file a rotation makes at least, `files` at once. */
export async function bareCeilingMs(files: number): Promise<number> {
  const subtle = globalThis.crypto.subtle;
  const raw = crypto.getRandomValues(new Uint8Array(16));
  const hmac = await subtle.importKey(
    'raw',
    crypto.getRandomValues(new Uint8Array(16)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const aes = await subtle.importKey('raw', raw, { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
  // A wrap's payload: version, purpose, owner, object and a 32-byte key, about 120 bytes.
  const payload = crypto.getRandomValues(new Uint8Array(120));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const ciphertext = new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv }, aes, payload));
  const start = performance.now();
  await Promise.all(
    Array.from({ length: files }, async () => {
      await subtle.sign('HMAC', hmac, ciphertext);
      await subtle.decrypt({ name: 'AES-CBC', iv }, aes, ciphertext);
      const again = await subtle.encrypt({ name: 'AES-CBC', iv }, aes, payload);
      await subtle.sign('HMAC', hmac, again);
    }),
  );
  return performance.now() - start;
}
