/**
 * Share links as their owner makes and manages them (docs/FORMAT.md section 4.4). The secret is made here and goes
 * only into the link's fragment, shown to the owner once; the server gets the node key wrapped under what the secret
 * (and the password, if any) derives, and the SHA-256 of the access token. The label is sealed under the master key.
 */
import type { LinkRecord, LinksResponse } from '$shared/api/responses.ts';
import type { CreateLinkRequest, EditLinkRequest } from '$shared/api/schemas.ts';
import {
  accessTokenHash,
  DEFAULT_ARGON2ID,
  deriveLinkKeys,
  encodeBase64url,
  generateLinkSecret,
  linkFragment,
  openText,
  sealText,
  SEALED_TEXT_PURPOSES,
  wrapForLink,
  type KeyBinding,
} from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import type { KeyRing } from '../files/key-ring.ts';
import type { OpenNode } from '../files/node-records.ts';
import { requireKey, requireOwner } from '../files/tree-actions.ts';

export type { LinkRecord } from '$shared/api/responses.ts';

export interface LinkOptions {
  label: string;
  /** ISO 8601, or null for a link that does not expire. */
  expiresAt: string | null;
  downloadLimit: number | null;
  allowDownload: boolean;
  /** Empty for a link without a password. */
  password: string;
}

/** A link just made: its address, with the secret in the fragment, exists only here. */
export interface NewLink {
  record: LinkRecord;
  url: string;
}

/** The link's address; its fragment says whether the link has a password (docs/FORMAT.md section 4.4). */
export function linkUrl(linkId: string, secret: string, withPassword: boolean): string {
  return `${location.origin}/s/${linkId}#${linkFragment(secret, withPassword)}`;
}

const labelBinding = (account: UnlockedAccount, linkId: string): KeyBinding => ({
  purpose: SEALED_TEXT_PURPOSES.linkLabel,
  owner: account.userId,
  object: linkId,
});

export async function createLink(
  account: UnlockedAccount,
  ring: KeyRing,
  node: OpenNode,
  options: LinkOptions,
): Promise<NewLink> {
  const id = crypto.randomUUID();
  const secret = generateLinkSecret();
  const password = options.password === '' ? undefined : options.password;
  const cost = { ...DEFAULT_ARGON2ID };
  const keys = await deriveLinkKeys(secret, id, password, cost);
  const place = { linkId: id, ownerId: requireOwner(ring, node.id), nodeId: node.id, kind: node.kind };
  const request: CreateLinkRequest = {
    id,
    nodeId: node.id,
    wrappedKey: await wrapForLink(keys, requireKey(ring, node.id), place),
    accessTokenHash: encodeBase64url(await accessTokenHash(keys.accessToken)),
    passwordCost: password === undefined ? null : cost,
    encryptedLabel: await sealLabel(account, id, options.label),
    expiresAt: options.expiresAt,
    downloadLimit: options.downloadLimit,
    allowDownload: options.allowDownload,
  };
  const record = await api<LinkRecord>('POST', '/api/links', request);
  return { record, url: linkUrl(id, secret, password !== undefined) };
}

export async function ownedLinks(): Promise<LinkRecord[]> {
  return (await api<LinksResponse>('GET', '/api/links')).links;
}

export async function nodeLinks(nodeId: string): Promise<LinkRecord[]> {
  return (await api<LinksResponse>('GET', `/api/nodes/${nodeId}/links`)).links;
}

export async function editLink(
  account: UnlockedAccount,
  link: LinkRecord,
  changes: Omit<EditLinkRequest, 'encryptedLabel'> & { label?: string },
): Promise<LinkRecord> {
  const { label, ...options } = changes;
  const request: EditLinkRequest = {
    ...options,
    ...(label === undefined ? {} : { encryptedLabel: await sealLabel(account, link.id, label) }),
  };
  return api<LinkRecord>('PATCH', `/api/links/${link.id}`, request);
}

export function revokeLink(link: LinkRecord): Promise<LinkRecord> {
  return api<LinkRecord>('POST', `/api/links/${link.id}/revoke`);
}

/** A link's label sealed for its owner (purpose "link-label", bound to the link's id), or null for none. */
export async function sealLabel(account: UnlockedAccount, linkId: string, label: string): Promise<string | null> {
  const trimmed = label.trim();
  return trimmed === '' ? null : sealText(account.masterKey, trimmed, labelBinding(account, linkId));
}

/** The link's label, or "" for none; a label that does not open (altered, or another link's) says so. */
export async function openLabel(
  account: UnlockedAccount,
  link: Pick<LinkRecord, 'id' | 'encryptedLabel'>,
): Promise<string> {
  if (!link.encryptedLabel) return '';
  try {
    return await openText(account.masterKey, link.encryptedLabel, labelBinding(account, link.id));
  } catch {
    return '(label failed its integrity check)';
  }
}
