import { AUDIT_EXPORT_MAX, type AuditQuery } from '../../shared/api/audit-schemas.ts';
import type { AuditExportResponse, SecurityEventsResponse } from '../../shared/api/responses.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import { auditFilterOf, exportAuditEvents, listAuditEvents } from '../auth/audit-log.ts';
import type { ServerDeps } from '../deps.ts';

/** The account's own security log, newest first: what a user checks after a scare (sign-ins, passkeys, recovery). */
export async function securityEvents(
  { db }: ServerDeps,
  actor: Actor,
  query: AuditQuery,
  limit: number,
): Promise<SecurityEventsResponse> {
  return { events: await listAuditEvents(db, auditFilterOf(query, limit), accountRows.auditEvents(actor)) };
}

/** The account's own security log as one JSON document, to keep or to hand to someone who helps. */
export async function exportSecurityEvents(
  { db, now }: ServerDeps,
  actor: Actor,
  query: AuditQuery,
): Promise<AuditExportResponse> {
  return exportAuditEvents(db, auditFilterOf(query, AUDIT_EXPORT_MAX), now(), accountRows.auditEvents(actor));
}
