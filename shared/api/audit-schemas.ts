/** The audit log's event types and the query that filters it, for the user's own log and for administrators. */
import { z } from 'zod';

export const AUDIT_EVENT_TYPES = [
  'sign-up',
  'sign-in',
  'sign-in-failed',
  'sign-out',
  'sign-out-everywhere',
  'session-revoked',
  'passkey-added',
  'passkey-removed',
  'passphrase-changed',
  'recovery-used',
  'recovery-failed',
  'recovery-changed',
  'step-up',
  'step-up-failed',
  'trash-purged',
  'lockout',
  'account-deleted',
  'share-granted',
  'share-accepted',
  'share-declined',
  'share-revoked',
  'keys-rotated',
  'link-created',
  'link-used',
  'link-revoked',
  'request-link-created',
  'request-link-revoked',
  'request-link-updated',
  'request-link-upload',
  'request-upload-accepted',
  'request-upload-declined',
  'admin-invite-created',
  'admin-invite-revoked',
  'admin-registration-mode-set',
  'admin-quota-set',
  'admin-default-quota-set',
  'admin-user-disabled',
  'admin-user-enabled',
  'admin-user-deleted',
  'admin-sessions-ended',
  'backup-succeeded',
  'backup-failed',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Most events one export holds; an export that reaches it is continued with `before`. */
export const AUDIT_EXPORT_MAX = 10_000;

const instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time like 2026-06-01T12:00:00Z' });
const eventId = z
  .string()
  .regex(/^[1-9]\d{0,14}$/, 'expected an event id, a whole number from 1')
  .transform(Number);

/** `type` is a comma-separated list; `from` and `to` bound the time (from inclusive, to exclusive); `before` an id. */
export const auditQuerySchema = z.object({
  type: z
    .string()
    .transform((text) => text.split(','))
    .pipe(z.array(z.enum(AUDIT_EVENT_TYPES, { error: `expected event types among ${AUDIT_EVENT_TYPES.join(', ')}` })))
    .optional(),
  from: instant.optional(),
  to: instant.optional(),
  before: eventId.optional(),
});

export type AuditQuery = z.output<typeof auditQuerySchema>;
