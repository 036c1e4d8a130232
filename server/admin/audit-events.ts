/** The whole instance's audit log, as admins read it: every account's events and the operator shell's, filtered. */
import type { AdminAuditQuery } from '../../shared/api/admin-schemas.ts';
import { AUDIT_EXPORT_MAX } from '../../shared/api/audit-schemas.ts';
import type { AuditExportResponse, SecurityEventsResponse } from '../../shared/api/responses.ts';
import { auditFilterOf, exportAuditEvents, listAuditEvents } from '../auth/audit-log.ts';
import type { AdminDeps } from './registration.ts';

export async function instanceAuditEvents(
  { db }: AdminDeps,
  query: AdminAuditQuery,
  limit: number,
): Promise<SecurityEventsResponse> {
  return { events: await listAuditEvents(db, auditFilterOf(query, limit)) };
}

export async function exportInstanceAuditEvents(
  { db, now }: AdminDeps,
  query: AdminAuditQuery,
): Promise<AuditExportResponse> {
  return exportAuditEvents(db, auditFilterOf(query, AUDIT_EXPORT_MAX), now());
}
