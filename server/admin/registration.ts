/**
 * Who may sign up: the registration mode an admin set, or the configured default; the first account on a fresh
 * instance, which becomes its admin; and invites, which a sign-up uses up.
 */
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { RegistrationMode } from '../../shared/api/admin-schemas.ts';
import type { PublicRegistrationResponse } from '../../shared/api/responses.ts';
import type { Queryable } from '../db/database.ts';
import { instanceSettings, invites } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { hashSessionToken } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { auditAdmin, type AdminCaller } from './admin-audit.ts';

export type AdminDeps = Pick<ServerDeps, 'db' | 'blobs' | 'now' | 'defaultQuotaBytes' | 'registrationDefault'>;

const SETTINGS_ROW = eq(instanceSettings.id, 1);

export async function instanceRow(db: Queryable) {
  const [row] = await db.select().from(instanceSettings).where(SETTINGS_ROW);
  if (!row) throw new Error('the instance_settings row is missing: the migrations did not run');
  return row;
}

/**
 * The mode in force: the admin's choice, else the configured default once an admin exists. Before that anyone may
 * sign up, or the instance could never get its first account; an operator who does not want that sets the mode and
 * makes an invite from the shell (`coffer admin mode`, `coffer admin invite`).
 */
export function effectiveMode(
  row: { registrationMode: RegistrationMode | null; firstAdminAt: Date | null },
  registrationDefault: RegistrationMode,
): RegistrationMode {
  return row.registrationMode ?? (row.firstAdminAt ? registrationDefault : 'open');
}

export async function registrationMode({ db, registrationDefault }: Pick<AdminDeps, 'db' | 'registrationDefault'>) {
  return effectiveMode(await instanceRow(db), registrationDefault);
}

/** The mode in force, as the sign-up page shows it before a passkey is made. */
export async function publicRegistration(
  deps: Pick<AdminDeps, 'db' | 'registrationDefault'>,
): Promise<PublicRegistrationResponse> {
  const mode = await registrationMode(deps);
  return { mode, inviteRequired: mode === 'invite-only' };
}

export async function setRegistrationMode(
  { db }: Pick<AdminDeps, 'db'>,
  caller: AdminCaller,
  mode: RegistrationMode,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(instanceSettings).set({ registrationMode: mode }).where(SETTINGS_ROW);
    await auditAdmin(tx, caller, 'admin-registration-mode-set', { mode });
  });
}

/**
 * Claims the first admin for the account being created, inside its sign-up transaction. The update takes the settings
 * row's lock, and a second sign-up's update waits for it and then finds `first_admin_at` set: only one can claim it.
 */
export async function claimFirstAdmin(tx: Queryable, at: Date): Promise<boolean> {
  const claimed = await tx
    .update(instanceSettings)
    .set({ firstAdminAt: at })
    .where(and(SETTINGS_ROW, isNull(instanceSettings.firstAdminAt)))
    .returning({ id: instanceSettings.id });
  return claimed.length === 1;
}

export interface Admission {
  quotaBytes: number;
  /** The invite used up, to be marked with the account once its row exists (markInviteUsedBy). */
  inviteId: string | null;
}

/**
 * Checks that a sign-up may go ahead under the mode in force and uses up its invite, inside the sign-up transaction:
 * an invite is used once even by two sign-ups at once. Answers the quota the new account gets.
 */
export async function admitSignUp(
  tx: Queryable,
  deps: Pick<AdminDeps, 'now' | 'defaultQuotaBytes' | 'registrationDefault'>,
  inviteToken: string | undefined,
): Promise<Admission> {
  const settings = await instanceRow(tx);
  const mode = effectiveMode(settings, deps.registrationDefault);
  if (mode === 'closed') {
    throw new ApiError(403, 'REGISTRATION_CLOSED', 'this Coffer is closed to new accounts; ask its admin');
  }
  const defaultQuota = settings.defaultQuotaBytes ?? deps.defaultQuotaBytes;
  if (inviteToken === undefined) {
    if (mode === 'invite-only') {
      throw new ApiError(403, 'INVITE_REQUIRED', 'this Coffer takes new accounts by invite only: open an invite link');
    }
    return { quotaBytes: defaultQuota, inviteId: null };
  }
  const at = deps.now();
  const [invite] = await tx
    .update(invites)
    .set({ usedAt: at })
    .where(
      and(
        eq(invites.tokenHash, await hashSessionToken(inviteToken)),
        isNull(invites.usedAt),
        isNull(invites.revokedAt),
        gt(invites.expiresAt, at),
      ),
    )
    .returning({ id: invites.id, quotaBytes: invites.quotaBytes });
  if (!invite) {
    throw new ApiError(
      403,
      'INVITE_INVALID',
      'this invite link is unknown, expired, revoked or already used; ask for a new one',
    );
  }
  return { quotaBytes: invite.quotaBytes ?? defaultQuota, inviteId: invite.id };
}

export async function markInviteUsedBy(tx: Queryable, admission: Admission, accountId: string): Promise<void> {
  if (admission.inviteId) await tx.update(invites).set({ usedBy: accountId }).where(eq(invites.id, admission.inviteId));
}
