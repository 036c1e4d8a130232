/** Security-relevant events of an account, for the user's own audit log and for administrators. */
import type { Database, Queryable } from '../db/database.ts';
import { auditEvents } from '../db/schema.ts';

export type AuditType =
  | 'sign-up'
  | 'sign-in'
  | 'sign-in-failed'
  | 'sign-out'
  | 'sign-out-everywhere'
  | 'session-revoked'
  | 'passkey-added'
  | 'passkey-removed'
  | 'passphrase-changed'
  | 'recovery-used'
  | 'recovery-failed'
  /** A new recovery code replaced the old one (or the one a recovery used up). */
  | 'recovery-changed'
  /** A passkey check on a signed-in session, before a change to its credentials or sessions. */
  | 'step-up'
  | 'step-up-failed'
  /** Files or folders deleted for good from the trash, by the user (not by the 30-day expiry). */
  | 'trash-purged'
  /** Admin actions: `userId` is the admin (null for the operator's shell), `details.targetUserId` the account. */
  | 'admin-invite-created'
  | 'admin-invite-revoked'
  | 'admin-registration-mode-set'
  | 'admin-quota-set'
  | 'admin-default-quota-set'
  | 'admin-user-disabled'
  | 'admin-user-enabled'
  | 'admin-user-deleted'
  | 'admin-sessions-ended';

export async function audit(
  db: Database | Queryable,
  event: { type: AuditType; userId?: string | null; requestId?: string; details?: Record<string, unknown> },
): Promise<void> {
  await db.insert(auditEvents).values({
    type: event.type,
    userId: event.userId ?? null,
    requestId: event.requestId ?? null,
    details: event.details ?? {},
  });
}
