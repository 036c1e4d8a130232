/** Links as their owner sees them (shared/api/responses.ts): options, counts and state, never a token or its hash. */
import type { LinkRecord, LinkStatus } from '../../shared/api/responses.ts';
import { isExhausted, type LinkRow } from '../access/policy.ts';

export function linkStatus(link: LinkRow, now: Date): LinkStatus {
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt && link.expiresAt <= now) return 'expired';
  if (isExhausted(link)) return 'exhausted';
  return 'active';
}

export function linkRecord(link: LinkRow, now: Date): LinkRecord {
  return {
    id: link.id,
    nodeId: link.nodeId,
    kind: link.kind,
    encryptedLabel: link.encryptedLabel,
    hasPassword: link.passwordCost !== null,
    allowDownload: link.allowDownload,
    downloadLimit: link.downloadLimit,
    downloadCount: link.downloadCount,
    useCount: link.useCount,
    status: linkStatus(link, now),
    createdAt: link.createdAt.toISOString(),
    expiresAt: link.expiresAt?.toISOString() ?? null,
    revokedAt: link.revokedAt?.toISOString() ?? null,
    lastUsedAt: link.lastUsedAt?.toISOString() ?? null,
  };
}
