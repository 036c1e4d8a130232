/**
 * The signed-in account: its wrapped keys (to unlock again after a reload), passkeys, passphrase, recovery code,
 * sessions and sealed documents (its contacts), and its deletion. Every change to how the account is entered or who is in it needs a fresh step-up (server/auth/step-up.ts).
 * The work is in server/accounts/.
 */
import { Hono, type Context } from 'hono';
import {
  addPasskeySchema,
  keySetSchema,
  newRecoveryCodeSchema,
  passphraseSchema,
  removePasskeySchema,
  renamePasskeySchema,
  stepUpSchema,
} from '../../shared/api/auth-schemas.ts';
import { deleteOwnAccountSchema, putAccountDocumentSchema, setHandleSchema } from '../../shared/api/schemas.ts';
import { auditQuerySchema } from '../../shared/api/audit-schemas.ts';
import type { RemovedPasskeyResponse } from '../../shared/api/responses.ts';
import { accountActor } from '../access/policy.ts';
import { deleteOwnAccount } from '../accounts/account-deletion.ts';
import { writeFirstKeySet } from '../accounts/key-sets.ts';
import { documentKind, readDocument, writeDocument } from '../accounts/documents.ts';
import { setHandle } from '../accounts/handles.ts';
import { addPasskey, listPasskeys, passkeyOptions, removePasskey, renamePasskey } from '../accounts/passkeys.ts';
import { exportSecurityEvents, securityEvents } from '../accounts/security-events.ts';
import { listSessions, revokeSession, signOut, signOutEverywhere } from '../accounts/sessions.ts';
import { stepUp, stepUpOptions } from '../accounts/step-up-ceremony.ts';
import { changePassphrase, changeRecoveryCode } from '../accounts/unlock-secrets.ts';
import { accountBundle } from '../auth/account-keys.ts';
import { requestOrigin } from '../auth/audit.ts';
import { assertSteppedUp, requireStepUp } from '../auth/step-up.ts';
import type { ServerDeps } from '../deps.ts';
import { countAttempts } from '../http/auth-attempts.ts';
import { endSessionCookie, type AuthEnv } from '../http/auth.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { idParams, jsonBody, limitQuery, queryParams } from '../http/validate.ts';

export function accountRoutes(deps: ServerDeps) {
  const steppedUp = requireStepUp(deps.now);
  const byAccount = (c: Context<AuthEnv>) => c.get('user').id;
  const stepUps = countAttempts(deps, 'step-up', 'stepUp', byAccount);
  const passkeyChanges = countAttempts(deps, 'passkeys', 'passkeys', byAccount);
  return new Hono<AuthEnv>()
    .use(jsonBodyLimit())
    .get('/', async (c) => c.json(await accountBundle(deps.db, c.get('user').id)))
    .put('/handle', jsonBody(setHandleSchema), async (c) =>
      c.json(await setHandle(deps, accountActor(c.get('user')), c.req.valid('json').handle)),
    )
    .get('/documents/:kind', async (c) =>
      c.json(await readDocument(deps, accountActor(c.get('user')), documentKind(c.req.param('kind')))),
    )
    .put('/documents/:kind', jsonBody(putAccountDocumentSchema), async (c) =>
      c.json(
        await writeDocument(deps, accountActor(c.get('user')), documentKind(c.req.param('kind')), c.req.valid('json')),
      ),
    )
    .get('/security-events', queryParams(auditQuerySchema), async (c) => {
      const limit = limitQuery(c, { max: 100, fallback: 20 });
      return c.json(await securityEvents(deps, accountActor(c.get('user')), c.req.valid('query'), limit));
    })
    .get('/security-events/export', queryParams(auditQuerySchema), async (c) => {
      const exported = await exportSecurityEvents(deps, accountActor(c.get('user')), c.req.valid('query'));
      c.header('content-disposition', 'attachment; filename="coffer-security-events.json"');
      return c.json(exported);
    })
    .post('/step-up/options', stepUps, async (c) => c.json(await stepUpOptions(deps, c, accountActor(c.get('user')))))
    .post('/step-up', stepUps, jsonBody(stepUpSchema), async (c) =>
      c.json(await stepUp(deps, c, accountActor(c.get('user')), c.req.valid('json'))),
    )
    .get('/passkeys', async (c) =>
      c.json(await listPasskeys(deps, accountActor(c.get('user')), c.get('session').credentialId)),
    )
    .post('/passkeys/options', steppedUp, passkeyChanges, async (c) =>
      c.json(await passkeyOptions(deps, c, accountActor(c.get('user')))),
    )
    .post('/passkeys', steppedUp, passkeyChanges, jsonBody(addPasskeySchema), async (c) =>
      c.json(await addPasskey(deps, c, accountActor(c.get('user')), c.req.valid('json')), 201),
    )
    .patch('/passkeys/:credentialId', jsonBody(renamePasskeySchema), async (c) => {
      const { encryptedLabel } = c.req.valid('json');
      await renamePasskey(deps, accountActor(c.get('user')), c.req.param('credentialId'), encryptedLabel);
      return c.body(null, 204);
    })
    .delete('/passkeys/:credentialId', steppedUp, jsonBody(removePasskeySchema, { emptyAs: {} }), async (c) => {
      const actor = accountActor(c.get('user'));
      const { keySet } = c.req.valid('json');
      const ended = await removePasskey(deps, actor, c.req.param('credentialId'), keySet, requestOrigin(c));
      const signedOut = ended.includes(c.get('sessionId'));
      if (signedOut) endSessionCookie(c);
      return c.json({ endedSessions: ended.length, signedOut } satisfies RemovedPasskeyResponse);
    })
    .put('/recovery', steppedUp, jsonBody(newRecoveryCodeSchema), async (c) => {
      await changeRecoveryCode(deps, accountActor(c.get('user')), c.req.valid('json'), requestOrigin(c));
      return c.body(null, 204);
    })
    .put('/passphrase', steppedUp, jsonBody(passphraseSchema), async (c) => {
      await changePassphrase(deps, accountActor(c.get('user')), c.req.valid('json'), requestOrigin(c));
      return c.body(null, 204);
    })
    .put('/key-set', jsonBody(keySetSchema), async (c) => {
      // An account made before key sets takes its first one here, from the device that unlocks it next. No step-up:
      // only the account's signing key makes one a device accepts, and later ones come only with their change.
      await writeFirstKeySet(deps, accountActor(c.get('user')), c.req.valid('json'));
      return c.body(null, 204);
    })
    .get('/sessions', async (c) => c.json(await listSessions(deps, accountActor(c.get('user')), c.get('sessionId'))))
    .delete('/sessions/:sessionId', idParams('sessionId'), async (c) => {
      const { sessionId } = c.req.valid('param');
      const thisBrowser = sessionId === c.get('sessionId');
      // Signing this browser out needs nothing more; signing out another one is a change to who is in the account.
      if (!thisBrowser) assertSteppedUp(c, deps.now());
      await revokeSession(deps, accountActor(c.get('user')), sessionId, requestOrigin(c));
      if (thisBrowser) endSessionCookie(c);
      return c.body(null, 204);
    })
    .post('/sign-out', async (c) => {
      await signOut(deps, accountActor(c.get('user')), c.get('sessionId'), requestOrigin(c));
      endSessionCookie(c);
      return c.body(null, 204);
    })
    .post('/sign-out-everywhere', steppedUp, async (c) => {
      await signOutEverywhere(deps, accountActor(c.get('user')), requestOrigin(c));
      endSessionCookie(c);
      return c.body(null, 204);
    })
    .delete('/', steppedUp, jsonBody(deleteOwnAccountSchema), async (c) => {
      // Leaving: every row and blob of the account goes, its sessions with them, this browser's cookie too.
      await deleteOwnAccount(deps, accountActor(c.get('user')), c.req.valid('json').confirm);
      endSessionCookie(c);
      return c.body(null, 204);
    });
}
