/**
 * A share link as its visitor opens it, with no account (docs/FORMAT.md section 4.4): the secret comes from the
 * fragment, the keys from it and the password, if the link has one; the access token goes to the server in a header,
 * never in a URL. The wrap must open for this link and the node the server presents, and the node's metadata must
 * authenticate under the key it gives: whatever the server sends is checked as the app checks its own tree.
 */
import type { ChildrenResponse, LinkAccessResponse, OpenLinkResponse } from '$shared/api/responses.ts';
import {
  CofferCryptoError,
  deriveLinkKeys,
  encodeBase64url,
  openLinkWrap,
  parseLinkFragment,
  type LinkFragment,
  type LinkKeys,
} from '$shared/crypto/index.ts';
import { ApiRequestError } from '../api.ts';
import type { LinkSource } from '../download/download-job.ts';
import type { DownloadSource } from '../files/download-jobs.ts';
import { KeyRing, type Opened } from '../files/key-ring.ts';
import type { OpenNode } from '../files/node-records.ts';

export interface OpenedLink {
  link: LinkSource;
  ring: KeyRing;
  node: OpenNode;
  allowDownload: boolean;
  expiresAt: string | null;
  downloadsLeft: number | null;
  source: DownloadSource;
}

/** A GET of the link's API, with its token when there is one; the server's refusals become ApiRequestError. */
async function linkApi<T>(linkId: string, path: string, token?: string): Promise<T> {
  const response = await fetch(`/api/s/${encodeURIComponent(linkId)}${path}`, {
    credentials: 'omit',
    headers: token === undefined ? {} : { authorization: `Link ${token}` },
  });
  const json = (await response.json().catch(() => undefined)) as
    { error?: { code: string; message: string } } | undefined;
  if (!response.ok) {
    throw new ApiRequestError(
      json?.error?.code ?? 'HTTP_ERROR',
      json?.error?.message ?? `the server answered ${response.status}`,
      response.status,
    );
  }
  return json as T;
}

/** Reads the fragment before anything is asked of the server: LINK_MALFORMED for a cut or altered one. */
export function readFragment(fragment: string): LinkFragment {
  return parseLinkFragment(fragment);
}

/**
 * The fragment, not the server, says whether the link has a password: a server that says otherwise is refused before
 * anything is derived, so one that kept a wrap made before a password was set cannot open the link without it.
 */
export function checkPasswordClaim(fragment: LinkFragment, access: LinkAccessResponse): void {
  const serverSaysPassword = access.passwordCost !== null;
  if (fragment.withPassword === serverSaysPassword) return;
  throw new CofferCryptoError(
    'LINK_PASSWORD_MISMATCH',
    fragment.withPassword
      ? 'the link was made with a password, but the server says it needs none: it may be serving an old or altered copy of the link, so nothing was opened'
      : 'the link was made without a password, but the server asks for one: it may be serving another or altered copy of the link, so nothing was opened',
  );
}

/** Whether the link asks for a password, and its Argon2id cost. */
export async function linkAccess(linkId: string): Promise<LinkAccessResponse> {
  return linkApi<LinkAccessResponse>(linkId, '/access');
}

/** The link's keys: with the password at the server's stated cost only when the fragment says the link has one. */
export function linkKeys(
  fragment: LinkFragment,
  linkId: string,
  access: LinkAccessResponse,
  password?: string,
): Promise<LinkKeys> {
  checkPasswordClaim(fragment, access);
  return access.passwordCost === null
    ? deriveLinkKeys(fragment.secret, linkId)
    : deriveLinkKeys(fragment.secret, linkId, password, access.passwordCost);
}

/** Opens the link with these keys: the wrap for this link and node, then the node itself under the key it gave. */
export async function openLink(linkId: string, keys: LinkKeys): Promise<OpenedLink> {
  const token = encodeBase64url(keys.accessToken, { padding: false });
  const opened = await linkApi<OpenLinkResponse>(linkId, '', token);
  if (opened.linkId !== linkId || opened.node.kind !== opened.kind) {
    throw new CofferCryptoError('WRAPPED_KEY_INVALID', 'the server answered for another link or another item');
  }
  const key = await openLinkWrap(keys, opened.wrappedKey, {
    linkId,
    ownerId: opened.ownerId,
    nodeId: opened.node.id,
    kind: opened.kind,
  });
  const ring = new KeyRing();
  ring.addAnchor({ nodeId: opened.node.id, ownerId: opened.ownerId, key });
  const node = await ring.open(opened.node);
  const link = { id: linkId, token };
  return {
    link,
    ring,
    node,
    allowDownload: opened.allowDownload,
    expiresAt: opened.expiresAt,
    downloadsLeft: opened.downloadsLeft,
    source: { list: (ring, folderId) => listLinkFolder(link, ring, folderId), link },
  };
}

/** A folder inside the link, opened under the keys of the folders above it. */
export async function listLinkFolder(link: LinkSource, ring: KeyRing, folderId: string): Promise<Opened> {
  const { children } = await linkApi<ChildrenResponse>(link.id, `/nodes/${folderId}/children`, link.token);
  return ring.openChildren(folderId, children);
}
