import type { AuditEventType } from '$shared/api/audit-schemas.ts';

/**
 * What each audit event means, in the words the dashboard and the admin's audit log show. A Record over every type, so
 * that a new event type does not build until it has words here.
 */
export const AUDIT_EVENT_NAMES: Record<AuditEventType, string> = {
  'sign-up': 'Account created',
  'sign-in': 'Signed in',
  'sign-in-failed': 'Failed sign-in',
  'sign-out': 'Signed out',
  'sign-out-everywhere': 'Signed out everywhere',
  'session-revoked': 'Session signed out',
  'passkey-added': 'Passkey added',
  'passkey-removed': 'Passkey removed',
  'passphrase-changed': 'Passphrase changed',
  'recovery-used': 'Recovery code used',
  'recovery-failed': 'Wrong recovery code',
  'recovery-changed': 'New recovery code made',
  'step-up': 'Passkey check before a change',
  'step-up-failed': 'Failed passkey check before a change',
  'trash-purged': 'Items deleted for good from the trash',
  lockout: 'Sign-in locked after repeated failures',
  'account-deleted': 'Account deleted by its owner',
  'share-granted': 'Shared an item',
  'share-accepted': 'Accepted a share',
  'share-declined': 'Declined or removed a share',
  'share-revoked': 'Stopped sharing an item',
  'keys-rotated': 'Replaced the keys of a folder after removing someone',
  'link-created': 'Made a share link',
  'link-used': 'A share link was opened',
  'link-revoked': 'Revoked a share link',
  'request-link-created': 'Made a file-request link',
  'request-link-revoked': 'Revoked a file-request link',
  'request-link-updated': 'Changed a file-request link',
  'request-link-upload': 'A file arrived through a file-request link',
  'request-upload-accepted': 'Accepted a file from a file-request link',
  'request-upload-declined': 'Declined a file from a file-request link',
  'admin-invite-created': 'Admin made an invite',
  'admin-invite-revoked': 'Admin revoked an invite',
  'admin-registration-mode-set': 'Admin changed who may sign up',
  'admin-quota-set': "Admin set an account's quota",
  'admin-default-quota-set': 'Admin set the default quota',
  'admin-user-disabled': 'Admin disabled an account',
  'admin-user-enabled': 'Admin enabled an account',
  'admin-user-deleted': 'Admin deleted an account',
  'admin-sessions-ended': "Admin ended an account's sessions",
  'backup-succeeded': 'Scheduled backup made',
  'backup-failed': 'Scheduled backup failed',
};

/** The words for `type`, or the type itself for one this build does not know (a newer server's). */
export function auditEventName(type: string): string {
  return (AUDIT_EVENT_NAMES as Record<string, string>)[type] ?? type;
}
