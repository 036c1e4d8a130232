/** A share link made as the owner's browser makes it (shared/crypto/link-secret.ts), and a link holder's requests. */
import {
  accessTokenHash,
  deriveLinkKeys,
  encodeBase64url,
  generateKey,
  generateLinkSecret,
  wrapForLink,
  type Argon2idCost,
} from '../../shared/crypto/index.ts';
import type { LinkRecord } from '../../shared/api/responses.ts';
import { json, ok } from './client.ts';
import type { Harness, TestUser } from './harness.ts';

/** The cheapest Argon2id the link page accepts: tests derive many keys. */
export const TEST_LINK_COST: Argon2idCost = { memoryKiB: 19456, passes: 2, parallelism: 1 };

export interface TestLink {
  id: string;
  secret: string;
  token: string;
  record: LinkRecord;
  /** GET on the link's public routes, as a browser without an account, with the link's token unless told otherwise. */
  get: (path?: string, options?: { token?: string | null; headers?: Record<string, string> }) => Promise<Response>;
}

export interface LinkOptions {
  id?: string;
  password?: string;
  downloadLimit?: number;
  expiresAt?: string;
  allowDownload?: boolean;
}

export async function makeLink(
  h: Harness,
  owner: TestUser,
  node: { id: string; kind: 'file' | 'folder' },
  options: LinkOptions = {},
): Promise<TestLink> {
  const { id, secret, token, body } = await linkBody(owner.id, node, options);
  const record = await ok<LinkRecord>(owner.request('/api/links', json(body)), 201);
  return { id, secret, token, record, get: linkGetter(h, id, token) };
}

/** What the owner's client sends to make a link, and the secret and token it keeps to itself. */
export async function linkBody(
  ownerId: string,
  node: { id: string; kind: 'file' | 'folder' },
  options: LinkOptions = {},
) {
  const id = options.id ?? crypto.randomUUID();
  const secret = generateLinkSecret();
  const keys = await deriveLinkKeys(secret, id, options.password, TEST_LINK_COST);
  const place = { linkId: id, ownerId, nodeId: node.id, kind: node.kind };
  const body = {
    id,
    nodeId: node.id,
    wrappedKey: await wrapForLink(keys, generateKey(), place),
    accessTokenHash: encodeBase64url(await accessTokenHash(keys.accessToken)),
    passwordCost: options.password === undefined ? null : TEST_LINK_COST,
    downloadLimit: options.downloadLimit ?? null,
    expiresAt: options.expiresAt ?? null,
    ...(options.allowDownload === undefined ? {} : { allowDownload: options.allowDownload }),
  };
  return { id, secret, token: encodeBase64url(keys.accessToken, { padding: false }), body };
}

export function linkGetter(h: Harness, id: string, token: string): TestLink['get'] {
  return (path = '', options = {}) => {
    const presented = options.token === undefined ? token : options.token;
    return Promise.resolve(
      h.app.request(`/api/s/${id}${path}`, {
        headers: { ...(presented === null ? {} : { authorization: `Link ${presented}` }), ...options.headers },
      }),
    );
  };
}
