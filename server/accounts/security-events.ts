import { desc } from 'drizzle-orm';
import type { SecurityEventsResponse } from '../../shared/api/responses.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import { auditEvents } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';

/** The account's own security log, newest first: what a user checks after a scare (sign-ins, passkeys, recovery). */
export async function securityEvents({ db }: ServerDeps, actor: Actor, limit: number): Promise<SecurityEventsResponse> {
  const rows = await db
    .select({ type: auditEvents.type, createdAt: auditEvents.createdAt })
    .from(auditEvents)
    .where(accountRows.auditEvents(actor))
    .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
    .limit(limit);
  return { events: rows.map((row) => ({ type: row.type, at: row.createdAt.toISOString() })) };
}
