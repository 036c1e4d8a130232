/**
 * File-request links as their owner makes and manages them (docs/FORMAT.md section 4.5), and the files strangers sent
 * through them. The link carries the owner's key fingerprint in its fragment, from the account's own verified public
 * keys; the message, folder and owner are signed with the account's signing key; the label is sealed as a share
 * link's. A waiting file's key opens from its seal with the account's sharing key; accepting it wraps that key under
 * its folder's key, after its metadata opened under it, so that what is accepted is what was shown.
 */
import type {
  NodeRecord,
  PendingUploadRecord,
  PendingUploadsResponse,
  RequestLinkRecord,
  RequestLinksResponse,
} from '$shared/api/responses.ts';
import type { CreateRequestLinkRequest, UpdateRequestLinkRequest } from '$shared/api/schemas.ts';
import {
  decodeBase64url,
  decryptMetadata,
  fingerprintText,
  openRequestFileKey,
  signRequestTerms,
  wrapNodeKey,
  type FileMetadata,
} from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { verifiedOwnPublicKeys } from '../auth/own-public-keys.ts';
import type { KeyRing } from '../files/key-ring.ts';
import type { OpenNode } from '../files/node-records.ts';
import { requireKey } from '../files/tree-actions.ts';
import { openLabel, sealLabel } from '../links/owner-links.ts';
import { sharingKeys } from '../sharing/account-keys.ts';

export type { RequestLinkRecord } from '$shared/api/responses.ts';

export interface RequestLinkOptions {
  label: string;
  message: string;
  /** ISO 8601, or null for a link that does not expire. */
  expiresAt: string | null;
  maxFiles: number;
  maxBytes: number;
}

export async function requestLinkUrl(account: UnlockedAccount, linkId: string): Promise<string> {
  const keys = await verifiedOwnPublicKeys(account);
  return `${location.origin}/r/${linkId}#${await fingerprintText([keys.sharing, keys.signing])}`;
}

export async function createRequestLink(
  account: UnlockedAccount,
  folder: OpenNode,
  options: RequestLinkOptions,
): Promise<{ record: RequestLinkRecord; url: string }> {
  const id = crypto.randomUUID();
  const message = options.message.trim();
  const { signing } = await sharingKeys(account);
  const request: CreateRequestLinkRequest = {
    id,
    nodeId: folder.id,
    encryptedLabel: await sealLabel(account, id, options.label),
    message,
    messageSignature: await signRequestTerms(signing, {
      requestLinkId: id,
      ownerId: account.userId,
      folderId: folder.id,
      message,
    }),
    maxFiles: options.maxFiles,
    maxBytes: options.maxBytes,
    expiresAt: options.expiresAt,
  };
  const record = await api<RequestLinkRecord>('POST', '/api/request-links', request);
  return { record, url: await requestLinkUrl(account, id) };
}

export async function ownedRequestLinks(): Promise<RequestLinkRecord[]> {
  return (await api<RequestLinksResponse>('GET', '/api/request-links')).requestLinks;
}

/** Each request link's label, by id, for showing where a file came from. */
export async function requestLinkLabels(account: UnlockedAccount): Promise<Map<string, string>> {
  const links = await ownedRequestLinks();
  return new Map(await Promise.all(links.map(async (link) => [link.id, await openLabel(account, link)] as const)));
}

/** Changes a link's limits or expiry; the server refuses limits below what the link already took. */
export function editRequestLink(link: RequestLinkRecord, change: UpdateRequestLinkRequest): Promise<RequestLinkRecord> {
  return api<RequestLinkRecord>('PATCH', `/api/request-links/${link.id}`, change);
}

export function revokeRequestLink(link: RequestLinkRecord): Promise<RequestLinkRecord> {
  return api<RequestLinkRecord>('POST', `/api/request-links/${link.id}/revoke`);
}

/** A waiting file, opened: its key from the seal, its name and details from its metadata. */
export interface OpenedPending {
  record: PendingUploadRecord;
  fileKey: Uint8Array;
  metadata: FileMetadata;
}

/**
 * The files waiting for the account in this folder, opened; one whose seal or metadata does not open (made for
 * another key, or altered) is listed in `refused`, to be declined.
 */
export async function pendingIn(
  account: UnlockedAccount,
  folderId: string,
): Promise<{ opened: OpenedPending[]; refused: PendingUploadRecord[] }> {
  const { uploads } = await api<PendingUploadsResponse>('GET', '/api/request-links/uploads');
  const { sharing } = await sharingKeys(account);
  const opened: OpenedPending[] = [];
  const refused: PendingUploadRecord[] = [];
  for (const record of uploads.filter((upload) => upload.parentId === folderId)) {
    try {
      const fileKey = await openRequestFileKey(sharing, record.seal, {
        requestLinkId: record.requestLinkId,
        ownerId: account.userId,
        nodeId: record.nodeId,
      });
      const place = { ownerId: account.userId, nodeId: record.nodeId, parentId: folderId, kind: 'file' as const };
      const metadata = await decryptMetadata(fileKey, place, decodeBase64url(record.encryptedMetadata));
      opened.push({ record, fileKey, metadata });
    } catch {
      refused.push(record);
    }
  }
  return { opened, refused };
}

/** Takes the file into its folder: its key wrapped under the folder's key (which the ring holds, the folder being open). */
export async function acceptPending(
  account: UnlockedAccount,
  ring: KeyRing,
  pending: OpenedPending,
): Promise<NodeRecord> {
  const { record } = pending;
  const wrappedKey = await wrapNodeKey(requireKey(ring, record.parentId), pending.fileKey, {
    ownerId: account.userId,
    nodeId: record.nodeId,
    parentId: record.parentId,
    kind: 'file',
  });
  const accepted = await api<NodeRecord>('POST', `/api/request-links/uploads/${record.id}/accept`, { wrappedKey });
  await ring.folderChanged(record.parentId, [record.nodeId]);
  return accepted;
}

export function declinePending(record: PendingUploadRecord): Promise<undefined> {
  return api<undefined>('DELETE', `/api/request-links/uploads/${record.id}`);
}
