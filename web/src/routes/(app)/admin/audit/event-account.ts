import type { AuditEventRecord } from '$shared/api/responses.ts';

/**
 * The account the admin audit screen names for an event: its own, a deleted admin's (whose actions stay in the log,
 * naming them in the details), the operator's shell for an admin action without one, or none (a sign-in with a passkey
 * no account has).
 */
export function eventAccount(event: Pick<AuditEventRecord, 'userId' | 'details'>): string {
  if (event.userId) return event.userId;
  if (typeof event.details.adminId === 'string') return `${event.details.adminId} (deleted)`;
  return event.details.by === 'operator-shell' ? 'operator shell' : 'no account';
}
