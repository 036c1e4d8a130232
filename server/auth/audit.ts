/**
 * Security-relevant events of an account, for the user's own audit log and for administrators. Each carries the
 * request's id and client address, and a small detail object typed per event: never a file name, never key material,
 * never a token (tests/server/audit-secrets.test.ts reads the whole table to hold that).
 */
import type { Context, Input } from 'hono';
import type { AuditEventType } from '../../shared/api/audit-schemas.ts';
import type { Database, Queryable } from '../db/database.ts';
import { auditEvents } from '../db/schema.ts';
import type { AuthEnv } from '../http/auth.ts';

/** The details each event type records; an event without details records `{}`. */
interface DetailsByType {
  /** `role` is there for the instance's first account, which becomes its admin. */
  'sign-up': { role?: 'admin' };
  'sign-in': { credentialId: string };
  /** `reason` is the refusal: an unknown credential, a bad signature, a counter that moved. */
  'sign-in-failed': { reason: string };
  'sign-out': Record<string, never>;
  'sign-out-everywhere': { sessions: number };
  'session-revoked': Record<string, never>;
  'passkey-added': { credentialId: string; prf: boolean };
  'passkey-removed': { credentialId: string; endedSessions: number };
  'passphrase-changed': Record<string, never>;
  'recovery-used': { endedSessions: number };
  'recovery-failed': Record<string, never>;
  /** A new recovery code replaced the old one (or the one a recovery used up). */
  'recovery-changed': Record<string, never>;
  /** A passkey check on a signed-in session, before a change to its credentials or sessions. */
  'step-up': { credentialId: string };
  'step-up-failed': { reason: string };
  /** Files or folders deleted for good from the trash, by the user (not by the 30-day expiry). */
  'trash-purged': { purged: number };
  /** A node shared, or shared again with another role (the grant replaced); `userId` is the sender. */
  'share-granted': { shareId: string; recipientId: string; role: 'viewer' | 'editor' };
  'share-accepted': { shareId: string };
  /** Declined, or removed from the recipient's list: its access ends, and its owner sees it declined. */
  'share-declined': { shareId: string };
  /** Revoked by the owner: the share is gone, and the recipient's access with it. */
  'share-revoked': { shareId: string; recipientId: string };
  /** A folder's keys and those of every folder below it replaced, after a revocation (docs/FORMAT.md section 4.6). */
  'keys-rotated': { nodeId: string; folders: number; files: number; uploads: number; grants: number };
  /** A share link made by its owner (`userId`); whether it has a password, never the password or the token. */
  'link-created': { linkId: string; nodeId: string; password: boolean };
  /** A link opened with its right token: `userId` is its owner, the client address the visitor's. */
  'link-used': { linkId: string };
  'link-revoked': { linkId: string };
  /** A file-request link made by its owner (`userId`), and revoked. */
  'request-link-created': { requestLinkId: string; nodeId: string };
  'request-link-revoked': { requestLinkId: string };
  'request-link-updated': { requestLinkId: string };
  /** A file arrived through a request link: `userId` is the link's owner, the client address the uploader's. */
  'request-link-upload': { requestLinkId: string; uploadId: string; size: number };
  /** The owner took such a file into its folder, or threw it away. */
  'request-upload-accepted': { requestLinkId: string; nodeId: string };
  'request-upload-declined': { requestLinkId: string; uploadId: string };
  /**
   * An account deleted itself (server/accounts/account-deletion.ts), with `revisions` file versions: recorded with no
   * account, request or address, so that nothing in the log says whose it was.
   */
  'account-deleted': { revisions: number };
  /** Further sign-ins or recoveries refused until `until`, after `failures` failed ones (server/auth/lockout.ts). */
  lockout: { scope: 'account' | 'address'; failures: number; until: string };
  /** Admin actions: `userId` is the admin (null for the operator's shell), `targetUserId` the account acted on. */
  'admin-invite-created': AdminDetails & { inviteId: string };
  'admin-invite-revoked': AdminDetails & { inviteId: string };
  'admin-registration-mode-set': AdminDetails & { mode: string };
  'admin-quota-set': AdminDetails & { targetUserId: string; quotaBytes: number };
  'admin-default-quota-set': AdminDetails & { quotaBytes: number };
  'admin-user-disabled': AdminDetails & { targetUserId: string; endedSessions: number };
  'admin-user-enabled': AdminDetails & { targetUserId: string };
  'admin-user-deleted': AdminDetails & { targetUserId: string; revisions: number };
  'admin-sessions-ended': AdminDetails & { targetUserId: string; endedSessions: number };
  /** A scheduled backup by the server (no account): the snapshot's id, its size, and how many snapshots were pruned. */
  'backup-succeeded': { snapshot: string; sizeBytes: number; durationMs: number; pruned: number };
  /**
   * Why it failed, as the error said it (a path or a bucket, never a secret: the S3 keys are never in one); for a run
   * whose process stopped, its due time and last heartbeat in place of how long it took.
   */
  'backup-failed': { error: string; durationMs: number } | { error: string; dueAt: string; lastHeartbeatAt: string };
}

/**
 * Who did an admin action: an admin through the API, or the operator through `coffer admin`. `adminId` is the admin's
 * id once their account is deleted (server/admin/accounts.ts), when `userId` is null.
 */
type AdminDetails = { by: 'admin' | 'operator-shell'; adminId?: string };

/** Every type in the shared list has its details declared above. */
export type AuditDetails = { [T in AuditEventType]: DetailsByType[T] };

export type AuditType = AuditEventType;

/** Where a request came from, as every audit event records it. */
export interface RequestOrigin {
  requestId: string;
  clientAddress: string;
}

export function requestOrigin<P extends string, I extends Input>(c: Context<AuthEnv, P, I>): RequestOrigin {
  return { requestId: c.get('requestId'), clientAddress: c.get('clientAddress') };
}

type AuditEvent = {
  [T in AuditType]: {
    type: T;
    userId: string | null;
    /** Null for an event that must not tie a request or an address to anyone (an account deleting itself). */
    origin: RequestOrigin | null;
    at: Date;
  } & (AuditDetails[T] extends Record<string, never> ? { details?: AuditDetails[T] } : { details: AuditDetails[T] });
}[AuditType];

export async function audit(db: Database | Queryable, event: AuditEvent): Promise<void> {
  await db.insert(auditEvents).values({
    type: event.type,
    userId: event.userId,
    requestId: event.origin?.requestId ?? null,
    clientAddress: event.origin?.clientAddress ?? null,
    details: event.details ?? {},
    // The deps' clock, not the database's: retention and time filters run on it.
    createdAt: event.at,
  });
}
