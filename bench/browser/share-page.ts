/**
 * bench/share.ts's rounds in Chromium's page: the setup comes from Node as base64 text, the app is reached through the
 * page's own origin (a proxy that adds the owner's session), and the key ring is this page's.
 */
import { ApiRequestError } from '../../web/src/lib/api.ts';
import type { Send } from '../../web/src/lib/sharing/rotate-keys.ts';
import { bareCeilingMs, shareAndRevoke, type RoundTimes } from './share-flow.ts';

export interface PageSetup {
  ownerId: string;
  folderId: string;
  masterKey: string;
  keys: [string, string][];
  /** The owner's signing private key, PKCS#8. */
  pkcs8: string;
  removed: { id: string; key: string };
  kept: { id: string; key: string };
  rounds: number;
  files: number;
}

const bytes = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

const send: Send = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = (text ? JSON.parse(text) : undefined) as { error?: { code: string; message: string } } | undefined;
  if (!response.ok) {
    throw new ApiRequestError(parsed?.error?.code ?? 'HTTP_ERROR', parsed?.error?.message ?? '', response.status);
  }
  return parsed as T;
};

export async function sharePage(setup: PageSetup): Promise<{ rounds: RoundTimes[]; ceiling: number[] }> {
  const held = new Map<string, Uint8Array>(setup.keys.map(([id, key]) => [id, bytes(key)]));
  const signingKey = await crypto.subtle.importKey(
    'pkcs8',
    bytes(setup.pkcs8),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const ring = {
    keyOf: (id: string) => held.get(id),
    replaceKeys: (replaced: ReadonlyMap<string, Uint8Array>) => {
      for (const [id, key] of replaced) if (held.has(id)) held.set(id, key);
    },
  };
  const rounds: RoundTimes[] = [];
  const ceiling: number[] = [];
  for (let round = 0; round < setup.rounds; round++) {
    rounds.push(
      await shareAndRevoke(
        {
          ownerId: setup.ownerId,
          folderId: setup.folderId,
          masterKey: bytes(setup.masterKey),
          signingKey,
          removed: { id: setup.removed.id, sharingKey: bytes(setup.removed.key) },
          kept: { id: setup.kept.id, sharingKey: bytes(setup.kept.key) },
          send,
          accept: async (shareId) => {
            await fetch(`/accept/${shareId}`, { method: 'POST' });
          },
        },
        ring,
      ),
    );
    ceiling.push(await bareCeilingMs(setup.files));
  }
  return { rounds, ceiling };
}
