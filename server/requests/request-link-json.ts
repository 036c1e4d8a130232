/** Request links as their owner sees them (shared/api/responses.ts): terms, counts and state. */
import type { LinkStatus, RequestLinkRecord } from '../../shared/api/responses.ts';
import { isRequestLinkUsedUp, type RequestLinkRow } from '../access/policy.ts';

export function requestLinkStatus(link: RequestLinkRow, now: Date): LinkStatus {
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt && link.expiresAt <= now) return 'expired';
  if (isRequestLinkUsedUp(link)) return 'exhausted';
  return 'active';
}

export function requestLinkRecord(link: RequestLinkRow, now: Date): RequestLinkRecord {
  return {
    id: link.id,
    nodeId: link.nodeId,
    encryptedLabel: link.encryptedLabel,
    message: link.message,
    maxFiles: link.maxFiles,
    maxBytes: link.maxBytes,
    fileCount: link.fileCount,
    byteCount: link.byteCount,
    status: requestLinkStatus(link, now),
    createdAt: link.createdAt.toISOString(),
    expiresAt: link.expiresAt?.toISOString() ?? null,
    revokedAt: link.revokedAt?.toISOString() ?? null,
    lastUsedAt: link.lastUsedAt?.toISOString() ?? null,
  };
}
