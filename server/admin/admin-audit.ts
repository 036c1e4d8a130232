/** Admin actions go to the audit log under the admin who did them, or with no account for the operator's shell. */
import { audit, type AuditType } from '../auth/audit.ts';
import type { Queryable } from '../db/database.ts';

/** Who acts: an admin's account (with the request), or null for `coffer admin` in the operator's shell. */
export interface AdminCaller {
  userId: string | null;
  requestId?: string;
}

export const OPERATOR_SHELL: AdminCaller = { userId: null };

export async function auditAdmin(
  db: Queryable,
  caller: AdminCaller,
  type: Extract<AuditType, `admin-${string}`>,
  details: Record<string, unknown>,
): Promise<void> {
  await audit(db, {
    type,
    userId: caller.userId,
    ...(caller.requestId ? { requestId: caller.requestId } : {}),
    details: { ...details, by: caller.userId ? 'admin' : 'operator-shell' },
  });
}
