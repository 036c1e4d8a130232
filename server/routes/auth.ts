/**
 * Passkey accounts (docs/API.md, "Accounts"). Sign-up and sign-in are WebAuthn ceremonies with discoverable
 * credentials and user verification required; the server checks them with @simplewebauthn/server and hands out the
 * account's wrapped keys only after one succeeds. It never sees a PRF output, passphrase, recovery key or master key:
 * those stay in the browser, which sends only Fernet tokens made with them. The work is in server/auth/.
 */
import { Hono, type Context } from 'hono';
import { recoverSchema, signInSchema, signUpSchema } from '../../shared/api/auth-schemas.ts';
import { publicRegistration } from '../admin/registration.ts';
import { recoverAccount, signIn, signInOptions } from '../auth/sign-in.ts';
import { signUp, signUpOptions } from '../auth/sign-up.ts';
import type { ServerDeps } from '../deps.ts';
import { countAttempts } from '../http/auth-attempts.ts';
import type { AuthEnv } from '../http/auth.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { jsonBody } from '../http/validate.ts';

/** Routes that need no session: becoming someone. */
export function authRoutes(deps: ServerDeps) {
  const byAddress = (c: Context<AuthEnv>) => c.get('clientAddress');
  const signUps = countAttempts(deps, 'sign-up', 'signUp', byAddress);
  const signIns = countAttempts(deps, 'sign-in', 'signIn', byAddress);
  const recoveries = countAttempts(deps, 'recover', 'recover', byAddress);
  return new Hono<AuthEnv>()
    .use(jsonBodyLimit())
    .get('/registration', async (c) => c.json(await publicRegistration(deps)))
    .post('/sign-up/options', signUps, async (c) => c.json(await signUpOptions(deps, c)))
    .post('/sign-up/verify', signUps, jsonBody(signUpSchema), async (c) =>
      c.json(await signUp(deps, c, c.req.valid('json')), 201),
    )
    .post('/sign-in/options', signIns, async (c) => c.json(await signInOptions(deps, c)))
    .post('/sign-in/verify', signIns, jsonBody(signInSchema), async (c) =>
      c.json(await signIn(deps, c, c.req.valid('json'))),
    )
    .post('/recover', recoveries, jsonBody(recoverSchema), async (c) =>
      c.json(await recoverAccount(deps, c, c.req.valid('json').recoveryVerifier)),
    );
}
