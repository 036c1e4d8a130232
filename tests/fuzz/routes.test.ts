/**
 * Ten thousand seeded random and malformed requests across every route of the app (read from its route table): right
 * and wrong methods, junk and real ids in the path, junk query strings, bodies that are malformed, of the wrong
 * types, nested deep, past their size limit or binary, odd content types, origins, cookies, Range and Authorization
 * headers; as nobody, as the owner of real rows, as another account and as an admin. None may fail with a server
 * error, every refusal keeps the error contract, and the server is healthy afterwards. Each round plays against
 * fresh rows, so that what an earlier request deleted or revoked is there again to be reached.
 */
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions, users } from '../../server/db/schema.ts';
import { hashSessionToken, SESSION_COOKIE } from '../../server/http/auth.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { createRoot, download, encryptFile, ok, uploadFile } from '../server/client.ts';
import { createHarness, type Harness } from '../server/harness.ts';
import { appRoutes, makeVictim } from '../server/victim.ts';
import { fuzzedRequest, type Caller } from './fuzzed-request.ts';
import { play, type World } from './request-player.ts';

const SEED = 20261207;
const ROUNDS = 4;
const REQUESTS_PER_ROUND = 2_500;
/** A round's requests run one after another on a busy machine: more than the default minute. */
const ROUND_TIMEOUT_MS = 240_000;

/** Routes that end the caller's own session when they succeed: the caller signs in again to go on. */
const ENDS_SESSION = new Set(['POST /api/account/sign-out', 'POST /api/account/sign-out-everywhere']);

/** Why an answer breaks the contract, or null when it keeps it. */
async function breach(response: Response, method: string): Promise<string | null> {
  if (response.status >= 500) return `status ${response.status}: ${(await response.text()).slice(0, 200)}`;
  // A HEAD answer has no body to check.
  if (response.status < 400 || method === 'HEAD') return null;
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const named = (value: unknown) => typeof value === 'string' && value.length > 0;
    if (named(error?.code) && named(error?.message)) return null;
  } catch {
    // Not JSON: reported below.
  }
  return `status ${response.status} without the error contract: ${text.slice(0, 200)}`;
}

describe('fuzzed requests on every route (pglite)', () => {
  let h: Harness;
  const cookies = {} as World['cookies'];
  const ids = {} as Record<Exclude<Caller, 'anonymous'>, string>;

  /** A new session for an account whose session a fuzzed request ended. */
  async function signInAgain(caller: Exclude<Caller, 'anonymous'>) {
    const token = crypto.randomUUID();
    const expiresAt = new Date(h.clock.now.getTime() + 24 * 60 * 60 * 1000);
    await h.db.insert(sessions).values({ tokenHash: await hashSessionToken(token), userId: ids[caller], expiresAt });
    cookies[caller] = `${SESSION_COOKIE}=${token}`;
  }

  beforeAll(async () => {
    // Rate limits counted in memory, as the server counts them on PGlite (server/main.ts).
    h = await createHarness('pglite', { rateBuckets: 'memory' });
    for (const caller of ['stranger', 'admin'] as const) {
      const user = await h.makeUser();
      ids[caller] = user.id;
      cookies[caller] = user.cookie;
    }
    await h.db.update(users).set({ role: 'admin' }).where(eq(users.id, ids.admin));
  });
  afterAll(() => h?.close());

  const answered = new Set<string>();

  it.each(Array.from({ length: ROUNDS }, (_, round) => round))(
    `answers ${REQUESTS_PER_ROUND} requests without a server error, keeping the error contract (seed ${SEED} + round %i)`,
    async (round) => {
      const { victim, victimUser } = await makeVictim(h);
      ids.owner = victimUser.id;
      cookies.owner = victimUser.cookie;
      const routes = appRoutes(h.app);
      const world: World = { app: h.app, routes, victim, cookies, bystander: (await h.makeUser()).id };
      const failures: string[] = [];
      for (const [index, request] of fc
        .sample(fuzzedRequest, { seed: SEED + round, numRuns: REQUESTS_PER_ROUND })
        .entries()) {
        const { route, method, path, response } = await play(request, world);
        const broken = await breach(response, method);
        if (broken) failures.push(`#${index}: ${method} ${path.slice(0, 120)} -> ${broken}`);
        if (response.status < 300) answered.add(route);
        const { caller, cookie } = request;
        const signedIn = caller !== 'anonymous' && typeof cookie === 'string';
        if (signedIn && ENDS_SESSION.has(route) && response.status < 300) await signInAgain(caller);
      }
      expect(failures).toEqual([]);
    },
    ROUND_TIMEOUT_MS,
  );

  it('is healthy afterwards: ready, and a new account lists its root, uploads a file and reads it back', async () => {
    // The real ids and valid bodies took requests past validation into the handlers, on most routes.
    expect(answered.size).toBeGreaterThan(appRoutes(h.app).length / 2);
    expect((await h.app.request('/readyz')).status).toBe(200);
    const user = await h.makeUser();
    const root = await createRoot(user);
    const file = await encryptFile(patternBytes(5000));
    const { revisionId } = await uploadFile(user, file, root);
    const children = await ok<{ children: { id: string }[] }>(user.request(`/api/nodes/${root}/children`));
    expect(children.children.map((child) => child.id)).toEqual([file.nodeId]);
    const { response, bytes } = await download(user, revisionId);
    expect(response.status).toBe(200);
    expect(bytes).toEqual(file.ciphertext);
  });
});
