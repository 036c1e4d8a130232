/**
 * Reading the audit log: one filtered, paged listing and a JSON export built on it. The user's own routes read their
 * account's events through the access policy's condition; an administrator's routes pass their own.
 */
import { and, desc, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import type { AuditEventType, AuditQuery } from '../../shared/api/audit-schemas.ts';
import type { AuditEventRecord, AuditExportResponse } from '../../shared/api/responses.ts';
import type { Database } from '../db/database.ts';
import { auditEvents } from '../db/schema.ts';

export interface AuditFilter {
  userId?: string;
  types?: AuditEventType[];
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit: number;
  /** Only events older than this id: the next page after a page ending at it. */
  before?: number;
}

/** The filter a query of the audit routes asks for (the user's own or an admin's), at most `limit` events. */
export function auditFilterOf(query: AuditQuery & { userId?: string | undefined }, limit: number): AuditFilter {
  return {
    limit,
    ...(query.userId ? { userId: query.userId } : {}),
    ...(query.type ? { types: query.type } : {}),
    ...(query.from ? { from: new Date(query.from) } : {}),
    ...(query.to ? { to: new Date(query.to) } : {}),
    ...(query.before ? { before: query.before } : {}),
  };
}

/** Events matching `filter` (and `scope`, the access policy's condition), newest first. */
export async function listAuditEvents(db: Database, filter: AuditFilter, scope?: SQL): Promise<AuditEventRecord[]> {
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        scope,
        filter.userId !== undefined ? eq(auditEvents.userId, filter.userId) : undefined,
        filter.types !== undefined ? inArray(auditEvents.type, filter.types) : undefined,
        filter.from !== undefined ? gte(auditEvents.createdAt, filter.from) : undefined,
        filter.to !== undefined ? lt(auditEvents.createdAt, filter.to) : undefined,
        filter.before !== undefined ? lt(auditEvents.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit);
  return rows.map((row) => ({
    id: row.id,
    type: row.type,
    at: row.createdAt.toISOString(),
    userId: row.userId,
    clientAddress: row.clientAddress,
    requestId: row.requestId,
    details: row.details,
  }));
}

/** The events as one JSON document, with the filter that chose them and whether more remain past the last one. */
export async function exportAuditEvents(
  db: Database,
  filter: AuditFilter,
  exportedAt: Date,
  scope?: SQL,
): Promise<AuditExportResponse> {
  const events = await listAuditEvents(db, { ...filter, limit: filter.limit + 1 }, scope);
  const complete = events.length <= filter.limit;
  return {
    exportedAt: exportedAt.toISOString(),
    filter: {
      userId: filter.userId ?? null,
      types: filter.types ?? null,
      from: filter.from?.toISOString() ?? null,
      to: filter.to?.toISOString() ?? null,
      before: filter.before ?? null,
    },
    complete,
    events: complete ? events : events.slice(0, filter.limit),
  };
}
