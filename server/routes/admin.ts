/**
 * The instance's administration (docs/API.md, "Administration"): only admins reach it (server/access/policy.ts). The
 * work is in server/admin/, which `coffer admin` calls too. Deleting an account cannot be undone, so it needs the admin's
 * fresh passkey check (server/auth/step-up.ts) besides the account's id typed back.
 */
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import {
  adminAuditQuerySchema,
  deleteUserSchema,
  newInviteSchema,
  quotaSchema,
  registrationModeSchema,
} from '../../shared/api/admin-schemas.ts';
import type { RegistrationModeResponse } from '../../shared/api/responses.ts';
import { requireAdmin } from '../access/policy.ts';
import type { AdminCaller } from '../admin/admin-audit.ts';
import { requestOrigin } from '../auth/audit.ts';
import {
  deleteAccount,
  disableAccount,
  enableAccount,
  endAccountSessions,
  instanceCounts,
  listAccounts,
  setDefaultQuota,
  setQuota,
} from '../admin/accounts.ts';
import { exportInstanceAuditEvents, instanceAuditEvents } from '../admin/audit-events.ts';
import { backupStatus } from '../backup/backup-status.ts';
import { requireStepUp } from '../auth/step-up.ts';
import { createInvite, listInvites, revokeInvite } from '../admin/invites.ts';
import { registrationMode, setRegistrationMode } from '../admin/registration.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { idParams, jsonBody, limitQuery, queryParams } from '../http/validate.ts';

const onlyAdmins = createMiddleware<AuthEnv>(async (c, next) => {
  requireAdmin(c.get('user'));
  await next();
});

export function adminRoutes(deps: ServerDeps) {
  const caller = (c: Context<AuthEnv>): AdminCaller => ({
    userId: c.get('user').id,
    origin: requestOrigin(c),
    now: deps.now,
  });
  return new Hono<AuthEnv>()
    .use(onlyAdmins)
    .use(jsonBodyLimit())
    .get('/instance', async (c) => c.json(await instanceCounts(deps)))
    .get('/users', async (c) => c.json(await listAccounts(deps)))
    .put('/users/:userId/quota', idParams('userId'), jsonBody(quotaSchema), async (c) => {
      await setQuota(deps, caller(c), c.req.valid('param').userId, c.req.valid('json').quotaBytes);
      return c.body(null, 204);
    })
    .post('/users/:userId/disable', idParams('userId'), async (c) =>
      c.json(await disableAccount(deps, caller(c), c.req.valid('param').userId)),
    )
    .post('/users/:userId/enable', idParams('userId'), async (c) => {
      await enableAccount(deps, caller(c), c.req.valid('param').userId);
      return c.body(null, 204);
    })
    .delete('/users/:userId/sessions', idParams('userId'), async (c) =>
      c.json(await endAccountSessions(deps, caller(c), c.req.valid('param').userId)),
    )
    .delete('/users/:userId', requireStepUp(deps.now), idParams('userId'), jsonBody(deleteUserSchema), async (c) => {
      await deleteAccount(deps, caller(c), c.req.valid('param').userId, c.req.valid('json').confirm);
      return c.body(null, 204);
    })
    .put('/default-quota', jsonBody(quotaSchema), async (c) => {
      await setDefaultQuota(deps, caller(c), c.req.valid('json').quotaBytes);
      return c.body(null, 204);
    })
    .get('/registration', async (c) =>
      c.json({ mode: await registrationMode(deps) } satisfies RegistrationModeResponse),
    )
    .put('/registration', jsonBody(registrationModeSchema), async (c) => {
      await setRegistrationMode(deps, caller(c), c.req.valid('json').mode);
      return c.body(null, 204);
    })
    .get('/audit-events', queryParams(adminAuditQuerySchema), async (c) => {
      const limit = limitQuery(c, { max: 100, fallback: 50 });
      return c.json(await instanceAuditEvents(deps, c.req.valid('query'), limit));
    })
    .get('/audit-events/export', queryParams(adminAuditQuerySchema), async (c) => {
      const exported = await exportInstanceAuditEvents(deps, c.req.valid('query'));
      c.header('content-disposition', 'attachment; filename="coffer-audit-events.json"');
      return c.json(exported);
    })
    .get('/backups', async (c) => c.json(await backupStatus(deps.db, deps.backup, deps.now())))
    .get('/invites', async (c) => c.json(await listInvites(deps)))
    .post('/invites', jsonBody(newInviteSchema, { emptyAs: {} }), async (c) =>
      c.json(await createInvite(deps, caller(c), c.req.valid('json'), deps.publicOrigin), 201),
    )
    .delete('/invites/:inviteId', idParams('inviteId'), async (c) => {
      await revokeInvite(deps, caller(c), c.req.valid('param').inviteId);
      return c.body(null, 204);
    });
}
