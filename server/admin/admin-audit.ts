/** Admin actions go to the audit log under the admin who did them, or with no account for the operator's shell. */
import { audit, type AuditDetails, type AuditType, type RequestOrigin } from '../auth/audit.ts';
import type { Queryable } from '../db/database.ts';

/** Who acts: an admin's account (with the request), or null for `coffer admin` in the operator's shell. */
export interface AdminCaller {
  userId: string | null;
  origin: RequestOrigin;
  now: () => Date;
}

export const OPERATOR_SHELL: AdminCaller = {
  userId: null,
  origin: { requestId: 'operator-shell', clientAddress: 'local' },
  now: () => new Date(),
};

type AdminType = Extract<AuditType, `admin-${string}`>;

export async function auditAdmin<T extends AdminType>(
  db: Queryable,
  caller: AdminCaller,
  type: T,
  details: Omit<AuditDetails[T], 'by'>,
): Promise<void> {
  // TypeScript cannot narrow the union of events by a generic T; T itself ties `details` to `type` for callers.
  await audit(db, {
    type,
    userId: caller.userId,
    origin: caller.origin,
    at: caller.now(),
    details: { ...details, by: caller.userId ? 'admin' : 'operator-shell' },
  } as unknown as Parameters<typeof audit>[1]);
}
