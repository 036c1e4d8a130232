/** What the admin routes and `coffer admin` accept. */
import { z } from 'zod';
import { auditQuerySchema } from './audit-schemas.ts';
import { handleSchema, idSchema } from './schemas.ts';

export const REGISTRATION_MODES = ['open', 'invite-only', 'closed'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export const registrationModeSchema = z.strictObject({ mode: z.enum(REGISTRATION_MODES) });

const quotaBytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const quotaSchema = z.strictObject({ quotaBytes });

/** An invite lives from an hour to 90 days; it may carry the quota of the account it makes. */
export const MAX_INVITE_DAYS = 90;
export const newInviteSchema = z.strictObject({
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(MAX_INVITE_DAYS * 24)
    .default(7 * 24),
  quotaBytes: quotaBytes.optional(),
});

/** Deleting an account is confirmed by sending back its handle, or its id when it has none. */
export const deleteUserSchema = z.strictObject({
  confirm: z.union([handleSchema, idSchema], { error: "confirm: the account's handle, or its id when it has none" }),
});

/** The sign-up token of an invite link: 32 random bytes, base64url. */
export const inviteTokenSchema = z
  .string()
  .length(43)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be the base64url token from an invite link');

/** The audit log as admins read it: the user's filters, and `userId` for one account's events. */
export const adminAuditQuerySchema = auditQuerySchema.extend({ userId: idSchema.optional() });

export type AdminAuditQuery = z.output<typeof adminAuditQuerySchema>;

export type NewInvite = z.input<typeof newInviteSchema>;
