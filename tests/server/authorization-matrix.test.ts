/**
 * Every API route, generated from the app's route table, called as someone it must refuse: no session, a disabled
 * account, a revoked session, and another user naming the victim's ids; then as the recipient of a share of the
 * victim's folder as viewer and as editor, who get what their role allows; and as the recipient of a share that is
 * pending, declined or revoked, who gets exactly what a stranger gets; and every route of a share link, as its
 * holder with the right token to a link that is valid, expired, used up or revoked, and with a wrong token, no token
 * or an account's session instead. A route added without a row here fails the suite, so that no route escapes the
 * access policy unnoticed.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { links, requestLinks, sessions, users } from '../../server/db/schema.ts';
import { encryptFile, json, ok, randomMetadata } from './client.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';
import { grantFor, makeSharingUser, shareAccepted, type SharingUser } from './sharing-accounts.ts';
import { makeLink, type TestLink } from './link-client.ts';
import { anonymous, beginRequestUpload, makeRequestLink, requestUploadBody } from './request-client.ts';
import { appRoutes, makeVictim, type Victim } from './victim.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { encodeBase64url, keySetStatement } from '../../shared/crypto/index.ts';

interface Row {
  /** Needs no session (signing up and in): only checked not to fail with a server error. */
  public?: true;
  /** The route with the victim's ids in it, and the body it takes. */
  request?: (victim: Victim) => { path: string; init?: RequestInit };
  /**
   * What another user gets: 404 for a route naming the victim's ids, or 2xx for a route of the caller's own data
   * (whose answer must not hold any of the victim's ids), or the refusal that comes before any id is looked at:
   * 403 STEP_UP_REQUIRED for the account routes that need a fresh passkey assertion, which
   * tests/server/account-isolation.test.ts passes with a second account's own passkey.
   */
  asOther: number;
  /** For a batch answered file by file: what another user gets for each of its files. */
  eachFileAsOther?: number;
  /**
   * For a share link's route (no account): what its holder gets with the right token to a link that is valid, expired,
   * used up or revoked, and with a wrong token. `asOther` is then the answer without any token.
   */
  asLink?: Record<LinkState, number>;
  /**
   * For a file-request link's route (no account): what the uploader gets through a link that is valid, expired, used
   * up or revoked, with an upload begun before; `wrongToken` is a link id that is no request link's (the id is the
   * only secret). `asOther`, for these, is the answer through the victim's valid link, in the order of the app.
   */
  asRequestLink?: Record<LinkState, number>;
  /** What the recipient of an accepted share of the victim's folder as viewer gets; asOther when not given. */
  asViewer?: number;
  eachFileAsViewer?: number;
  /** The same as editor; asViewer when not given. */
  asEditor?: number;
  eachFileAsEditor?: number;
}

type LinkState = 'valid' | 'expired' | 'exhausted' | 'revoked' | 'wrongToken';
const LINK_STATES: LinkState[] = ['valid', 'expired', 'exhausted', 'revoked', 'wrongToken'];
/** The answer of a link route that needs the token: the link's state is told only to its holder. */
const LINK_REFUSALS = { expired: 410, exhausted: 410, revoked: 410, wrongToken: 403 } as const;

/** A well-formed key set of `accountId`, version 1: the server reads its account and version, never its signature. */
const keySetNaming = (accountId: string) => {
  const key = encodeBase64url(new Uint8Array(91), { padding: false });
  const statement = keySetStatement({
    accountId,
    version: 1,
    publicKeys: { sharing: key, signing: key },
    passkeys: [],
    passphraseWrapDigest: null,
    recoveryWrapDigest: null,
  });
  return {
    statement: encodeBase64url(statement, { padding: false }),
    signature: encodeBase64url(new Uint8Array(64), { padding: false }),
  };
};
const someBytes = () => encodeBase64url(crypto.getRandomValues(new Uint8Array(120)));

/** Random bytes in the form of a Fernet token (version byte 0x80, a token's length), as a rotation's wraps must be. */
const someToken = () => {
  const token = crypto.getRandomValues(new Uint8Array(121));
  token[0] = 0x80;
  return encodeBase64url(token);
};

const send = (method: string, body?: unknown): RequestInit =>
  body === undefined ? { method } : { ...json(body), method };
const nodeBody = () => ({ wrappedKey: someBytes(), encryptedMetadata: randomMetadata() });
/** A grant of the right form for the victim's folder: the server refuses who sends it before looking at its terms. */
const fakeGrant = (v: Victim) => ({
  version: 1,
  senderId: v.user,
  recipientId: crypto.randomUUID(),
  ownerId: v.user,
  nodeId: v.folder,
  kind: 'folder',
  role: 'viewer',
  ephemeralPublicKey: someBytes(),
  wrapped: someBytes(),
  signature: encodeBase64url(crypto.getRandomValues(new Uint8Array(64))),
});

const MATRIX: Record<string, Row> = {
  'GET /healthz': { public: true, asOther: 200 },
  'GET /readyz': { public: true, asOther: 200 },
  // Not a session's: only METRICS_TOKEN opens it (tests/server/ops.test.ts checks a session does not).
  'GET /metrics': { public: true, asOther: 401 },
  'GET /api/health': { public: true, asOther: 200 },
  'GET /api/auth/registration': { public: true, asOther: 200 },
  'POST /api/auth/sign-up/options': { public: true, asOther: 200 },
  'POST /api/auth/sign-up/verify': { public: true, asOther: 400 },
  'POST /api/auth/sign-in/options': { public: true, asOther: 200 },
  'POST /api/auth/sign-in/verify': { public: true, asOther: 400 },
  'POST /api/auth/recover': { public: true, asOther: 400 },
  'GET /api/account': { asOther: 200 },
  // The caller's own account, after a fresh passkey check: a session alone is refused before anything is read.
  'DELETE /api/account': {
    request: (v) => ({ path: '/api/account', init: send('DELETE', { confirm: v.user }) }),
    asOther: 403,
  },
  'PUT /api/account/handle': {
    request: () => ({
      path: '/api/account/handle',
      init: send('PUT', { handle: `h${crypto.randomUUID().slice(0, 8)}` }),
    }),
    asOther: 200,
  },
  // Finds only what an account publishes; a handle nobody has is not found.
  'GET /api/handles/:handle': { request: () => ({ path: '/api/handles/nobody-has-this' }), asOther: 404 },
  // The caller's own sealed documents: the path names a kind, never an account.
  'GET /api/account/documents/:kind': { request: () => ({ path: '/api/account/documents/contacts' }), asOther: 200 },
  'PUT /api/account/documents/:kind': {
    request: () => ({
      path: '/api/account/documents/contacts',
      init: send('PUT', { version: 0, sealed: someBytes() }),
    }),
    asOther: 200,
  },
  'GET /api/account/security-events': { asOther: 200 },
  'GET /api/account/security-events/export': { asOther: 200 },
  'POST /api/account/step-up/options': { asOther: 200 },
  'POST /api/account/step-up': { asOther: 400 },
  'GET /api/account/passkeys': { asOther: 200 },
  'POST /api/account/passkeys/options': { asOther: 403 },
  'POST /api/account/passkeys': { asOther: 403 },
  'PATCH /api/account/passkeys/:credentialId': {
    request: () => ({
      path: `/api/account/passkeys/${crypto.randomUUID()}`,
      init: send('PATCH', { encryptedLabel: someBytes() }),
    }),
    asOther: 404,
  },
  'DELETE /api/account/passkeys/:credentialId': { asOther: 403 },
  'PUT /api/account/recovery': { asOther: 403 },
  // A key set naming the victim's account, sent by another: refused as not the caller's, and nothing is written.
  'PUT /api/account/key-set': {
    request: (v) => ({ path: '/api/account/key-set', init: send('PUT', keySetNaming(v.user)) }),
    asOther: 400,
  },
  'PUT /api/account/passphrase': { asOther: 403 },
  'GET /api/account/sessions': { asOther: 200 },
  'DELETE /api/account/sessions/:sessionId': {
    request: (v) => ({ path: `/api/account/sessions/${v.session}`, init: send('DELETE') }),
    asOther: 403,
  },
  // Signing out ends the caller's own sessions only; the victim's session is checked to survive below.
  'POST /api/account/sign-out': {
    request: () => ({ path: '/api/account/sign-out', init: send('POST') }),
    asOther: 204,
  },
  'POST /api/account/sign-out-everywhere': {
    request: () => ({ path: '/api/account/sign-out-everywhere', init: send('POST') }),
    asOther: 403,
  },
  'GET /api/uploads': { asOther: 200 },
  'POST /api/uploads': {
    request: (v) => ({ path: '/api/uploads', init: send('POST', v.uploadIntoFolder) }),
    asOther: 404,
    asViewer: 403,
    asEditor: 201,
  },
  'POST /api/uploads/batch': {
    request: (v) => ({ path: '/api/uploads/batch', init: send('POST', v.batchIntoFolder) }),
    asOther: 200,
    eachFileAsOther: 404,
    eachFileAsViewer: 403,
    eachFileAsEditor: 201,
  },
  'GET /api/uploads/:uploadId': { asOther: 404 },
  'PUT /api/uploads/:uploadId/chunks/:index': {
    request: (v) => ({ path: `/api/uploads/${v.upload}/chunks/0`, init: { method: 'PUT', body: new Uint8Array(16) } }),
    asOther: 404,
  },
  'POST /api/uploads/:uploadId/complete': {
    request: (v) => ({ path: `/api/uploads/${v.upload}/complete`, init: send('POST', {}) }),
    asOther: 404,
  },
  'DELETE /api/uploads/:uploadId': { asOther: 404 },
  'GET /api/revisions/:revisionId': { asOther: 404, asViewer: 200 },
  'GET /api/revisions/:revisionId/content': { asOther: 404, asViewer: 200 },
  'GET /api/revisions/:revisionId/chunks/:index': { asOther: 404, asViewer: 200 },
  // The victim's revision has its thumbnail already: an editor gets past the access policy to that refusal.
  'PUT /api/revisions/:revisionId/thumbnail': {
    request: (v) => ({
      path: `/api/revisions/${v.revision}/thumbnail`,
      init: { method: 'PUT', body: new Uint8Array(128), headers: { 'content-type': 'application/octet-stream' } },
    }),
    asOther: 404,
    asViewer: 403,
    asEditor: 409,
  },
  'GET /api/revisions/:revisionId/thumbnail': { asOther: 404, asViewer: 200 },
  'POST /api/nodes/folders': {
    request: (v) => ({
      path: '/api/nodes/folders',
      init: send('POST', { id: crypto.randomUUID(), parentId: v.folder, ...nodeBody() }),
    }),
    asOther: 404,
    asViewer: 403,
    asEditor: 201,
  },
  'GET /api/nodes/root': { asOther: 404 },
  'GET /api/nodes/recent': { asOther: 200 },
  'GET /api/nodes/:nodeId': { asOther: 404, asViewer: 200 },
  'PATCH /api/nodes/:nodeId': {
    request: (v) => ({ path: `/api/nodes/${v.folder}`, init: send('PATCH', { encryptedMetadata: randomMetadata() }) }),
    asOther: 404,
    asViewer: 403,
    asEditor: 200,
  },
  // Deleting for good is the owner's alone.
  'DELETE /api/nodes/:nodeId': { asOther: 404, asViewer: 403 },
  'GET /api/nodes/:nodeId/children': {
    request: (v) => ({ path: `/api/nodes/${v.folder}/children` }),
    asOther: 404,
    asViewer: 200,
  },
  'GET /api/nodes/:nodeId/path': { asOther: 404, asViewer: 200 },
  'GET /api/nodes/:nodeId/revisions': { asOther: 404, asViewer: 200 },
  // Who has access is the owner's to see.
  'GET /api/nodes/:nodeId/shares': { asOther: 404, asViewer: 403 },
  'PUT /api/nodes/:nodeId/current-revision': {
    request: (v) => ({
      path: `/api/nodes/${v.file}/current-revision`,
      init: send('PUT', { revisionId: v.revision, encryptedMetadata: randomMetadata() }),
    }),
    asOther: 404,
    asViewer: 403,
    asEditor: 200,
  },
  // Whoever may change a folder's children signs its manifest; the editor's is the folder's first.
  'PUT /api/nodes/:nodeId/manifest': {
    request: (v) => ({
      path: `/api/nodes/${v.folder}/manifest`,
      init: send('PUT', { version: 1, children: [], signature: encodeBase64url(new Uint8Array(64)) }),
    }),
    asOther: 404,
    asViewer: 403,
    asEditor: 200,
  },
  // A shared folder's editor roster: its members read it, only its owner signs one.
  'GET /api/nodes/:nodeId/editor-roster': {
    request: (v) => ({ path: `/api/nodes/${v.folder}/editor-roster` }),
    asOther: 404,
    asViewer: 200,
  },
  'PUT /api/nodes/:nodeId/editor-roster': {
    request: (v) => ({
      path: `/api/nodes/${v.folder}/editor-roster`,
      init: send('PUT', { version: 1, editors: [], signature: encodeBase64url(new Uint8Array(64)) }),
    }),
    asOther: 404,
    asViewer: 403,
    asEditor: 403,
  },
  'POST /api/nodes/:nodeId/move': {
    request: (v) => ({ path: `/api/nodes/${v.file}/move`, init: send('POST', { parentId: v.folder, ...nodeBody() }) }),
    asOther: 404,
    asViewer: 403,
    asEditor: 200,
  },
  // Rotating a folder's keys is its owner's alone: an editor changes what is in a folder, never its keys.
  'GET /api/nodes/:nodeId/rekey': {
    request: (v) => ({ path: `/api/nodes/${v.folder}/rekey` }),
    asOther: 404,
    asViewer: 403,
  },
  'POST /api/nodes/:nodeId/rekey': {
    request: (v) => ({
      path: `/api/nodes/${v.folder}/rekey`,
      init: send('POST', {
        folders: [{ id: v.folder, wrappedKey: someToken(), encryptedMetadata: someToken() }],
        files: [],
        uploads: [],
        grants: [],
      }),
    }),
    asOther: 404,
    asViewer: 403,
  },
  'POST /api/nodes/:nodeId/trash': { asOther: 404, asViewer: 403, asEditor: 200 },
  // After the editor's trash, just above: the file comes back.
  'POST /api/nodes/:nodeId/restore': { asOther: 404, asViewer: 403, asEditor: 200 },
  'GET /api/trash': { asOther: 200 },
  'DELETE /api/trash': { asOther: 200 },
  'GET /api/usage': { asOther: 200 },
  // Only the owner shares (a recipient's role does not allow it), and a share is answered by its recipient only.
  'POST /api/shares': {
    request: (v) => ({ path: '/api/shares', init: send('POST', { grant: fakeGrant(v) }) }),
    asOther: 404,
    asViewer: 403,
  },
  'GET /api/shares/incoming': { asOther: 200 },
  'GET /api/shares/outgoing': { asOther: 200 },
  // Share links: only the owner of a node links it (a recipient's role does not allow it), lists and changes them.
  'POST /api/links': {
    request: (v) => ({ path: '/api/links', init: send('POST', v.linkOfFolder) }),
    asOther: 404,
    asViewer: 403,
  },
  'GET /api/links': { asOther: 200 },
  'PATCH /api/links/:linkId': {
    request: (v) => ({ path: `/api/links/${v.link}`, init: send('PATCH', { downloadLimit: 1 }) }),
    asOther: 404,
  },
  'POST /api/links/:linkId/revoke': { asOther: 404 },
  'GET /api/nodes/:nodeId/links': { asOther: 404, asViewer: 403 },
  // What a link's holder reaches, without an account: asOther is the answer without a token.
  'GET /api/s/:linkId/access': {
    public: true,
    asOther: 200,
    asLink: { valid: 200, expired: 200, exhausted: 200, revoked: 200, wrongToken: 200 },
  },
  'GET /api/s/:linkId': { public: true, asOther: 403, asLink: { valid: 200, ...LINK_REFUSALS } },
  'GET /api/s/:linkId/nodes/:nodeId/children': {
    public: true,
    request: (v) => ({ path: `/api/s/${v.link}/nodes/${v.folder}/children` }),
    asOther: 403,
    asLink: { valid: 200, ...LINK_REFUSALS },
  },
  'GET /api/s/:linkId/revisions/:revisionId/content': {
    public: true,
    asOther: 403,
    asLink: { valid: 200, ...LINK_REFUSALS },
  },
  // File-request links: only the owner of a folder makes one, lists and revokes them, and takes what came through.
  'POST /api/request-links': {
    request: (v) => ({ path: '/api/request-links', init: send('POST', v.requestLinkOfFolder) }),
    asOther: 404,
    asViewer: 403,
  },
  'GET /api/request-links': { asOther: 200 },
  'GET /api/request-links/uploads': { asOther: 200 },
  'POST /api/request-links/uploads/:uploadId/accept': {
    request: (v) => ({
      path: `/api/request-links/uploads/${v.pendingUpload}/accept`,
      init: send('POST', { wrappedKey: someToken() }),
    }),
    asOther: 404,
  },
  'DELETE /api/request-links/uploads/:uploadId': {
    request: (v) => ({ path: `/api/request-links/uploads/${v.pendingUpload}`, init: send('DELETE') }),
    asOther: 404,
  },
  'PATCH /api/request-links/:linkId': {
    request: (v) => ({ path: `/api/request-links/${v.requestLink}`, init: send('PATCH', { maxFiles: 20 }) }),
    asOther: 404,
  },
  'POST /api/request-links/:linkId/revoke': {
    request: (v) => ({ path: `/api/request-links/${v.requestLink}/revoke`, init: send('POST') }),
    asOther: 404,
  },
  // What a request link's holder reaches, without an account; an upload begun goes on through a used-up link.
  'GET /api/r/:linkId': {
    public: true,
    request: (v) => ({ path: `/api/r/${v.requestLink}` }),
    asOther: 200,
    asRequestLink: { valid: 200, expired: 410, exhausted: 410, revoked: 410, wrongToken: 404 },
  },
  'POST /api/r/:linkId/uploads': {
    public: true,
    request: (v) => ({ path: `/api/r/${v.requestLink}/uploads`, init: send('POST', v.uploadThroughRequestLink) }),
    asOther: 201,
    asRequestLink: { valid: 201, expired: 410, exhausted: 410, revoked: 410, wrongToken: 404 },
  },
  'PUT /api/r/:linkId/uploads/:uploadId/chunks/:index': {
    public: true,
    request: (v) => ({
      path: `/api/r/${v.requestLink}/uploads/${v.requestUpload}/chunks/0`,
      init: {
        method: 'PUT',
        body: new Uint8Array(v.requestChunk!),
        headers: { 'content-type': 'application/octet-stream' },
      },
    }),
    asOther: 204,
    asRequestLink: { valid: 204, expired: 410, exhausted: 204, revoked: 410, wrongToken: 404 },
  },
  'POST /api/r/:linkId/uploads/:uploadId/complete': {
    public: true,
    request: (v) => ({ path: `/api/r/${v.requestLink}/uploads/${v.requestUpload}/complete`, init: send('POST') }),
    asOther: 200,
    asRequestLink: { valid: 200, expired: 410, exhausted: 200, revoked: 410, wrongToken: 404 },
  },
  'POST /api/shares/:shareId/accept': { asOther: 404 },
  'POST /api/shares/:shareId/decline': { asOther: 404 },
  'DELETE /api/shares/:shareId': { asOther: 404 },
  // The administration: an account without the admin role is refused before any id is looked at.
  'GET /api/admin/instance': { asOther: 403 },
  'GET /api/admin/users': { asOther: 403 },
  'PUT /api/admin/users/:userId/quota': {
    request: (v) => ({ path: `/api/admin/users/${v.user}/quota`, init: send('PUT', { quotaBytes: 0 }) }),
    asOther: 403,
  },
  'POST /api/admin/users/:userId/disable': { asOther: 403 },
  'POST /api/admin/users/:userId/enable': { asOther: 403 },
  'DELETE /api/admin/users/:userId/sessions': { asOther: 403 },
  'DELETE /api/admin/users/:userId': {
    request: (v) => ({ path: `/api/admin/users/${v.user}`, init: send('DELETE', { confirm: v.user }) }),
    asOther: 403,
  },
  'PUT /api/admin/default-quota': {
    request: () => ({ path: '/api/admin/default-quota', init: send('PUT', { quotaBytes: 0 }) }),
    asOther: 403,
  },
  'GET /api/admin/registration': { asOther: 403 },
  'PUT /api/admin/registration': {
    request: () => ({ path: '/api/admin/registration', init: send('PUT', { mode: 'open' }) }),
    asOther: 403,
  },
  'GET /api/admin/audit-events': {
    request: (v) => ({ path: `/api/admin/audit-events?userId=${v.user}` }),
    asOther: 403,
  },
  'GET /api/admin/audit-events/export': {
    request: (v) => ({ path: `/api/admin/audit-events/export?userId=${v.user}` }),
    asOther: 403,
  },
  'GET /api/admin/backups': { asOther: 403 },
  'GET /api/admin/invites': { asOther: 403 },
  'POST /api/admin/invites': { asOther: 403 },
  'DELETE /api/admin/invites/:inviteId': { asOther: 403 },
};

const isAdminRoute = (route: string) => route.split(' ')[1]!.startsWith('/api/admin/');

/** The route with the victim's ids put in for its parameters, called without a body unless its row gives one. */
function requestFor(route: string, row: Row, victim: Victim): { path: string; init: RequestInit } {
  const custom = row.request?.(victim);
  if (custom) return { path: custom.path, init: custom.init ?? {} };
  const [method, pattern] = route.split(' ') as [string, string];
  const path = pattern
    .replace(':nodeId', victim.file)
    .replace(':uploadId', victim.upload)
    .replace(':revisionId', victim.revision)
    .replace(':index', '0')
    .replace(':credentialId', crypto.randomUUID())
    .replace(':sessionId', victim.session)
    .replace(':userId', victim.user)
    .replace(':shareId', victim.share)
    .replace(':linkId', victim.link)
    .replace(':inviteId', crypto.randomUUID());
  return { path, init: method === 'GET' || method === 'DELETE' ? { method } : send(method, {}) };
}

describe.each(DATABASE_KINDS)('authorization matrix on %s', (kind) => {
  let h: Harness;
  let victim: Victim;
  let victimUser: SharingUser;
  const routes: string[] = [];

  beforeAll(async () => {
    h = await createHarness(kind);
    ({ victim, victimUser } = await makeVictim(h));
    routes.push(...appRoutes(h.app));
  });

  afterAll(async () => {
    await h?.close();
  });

  it('has a row for every route of the app, and none for a route that is gone', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((route) => !(route in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((route) => !routes.includes(route))).toEqual([]);
  });

  // Routes without a row fail the first test; the others go through those that have one.
  const protectedRoutes = () => routes.filter((route) => MATRIX[route] && !MATRIX[route].public);

  async function refusesEveryProtectedRoute(
    caller: (path: string, init: RequestInit) => Promise<Response>,
    code = 'UNAUTHENTICATED',
  ) {
    const answers = [];
    for (const route of protectedRoutes()) {
      const { path, init } = requestFor(route, MATRIX[route]!, victim);
      const response = await caller(path, init);
      answers.push({
        route,
        status: response.status,
        code: ((await response.json()) as { error?: { code?: string } }).error?.code,
      });
    }
    expect(answers.filter((answer) => answer.status !== 401 || answer.code !== code)).toEqual([]);
  }

  it('refuses every protected route to a request without a session', async () => {
    await refusesEveryProtectedRoute((path, init) =>
      Promise.resolve(
        h.app.request(path, {
          ...init,
          headers: { origin: 'http://localhost:8080', ...(init.headers as Record<string, string>) },
        }),
      ),
    );
    for (const route of routes.filter((route) => MATRIX[route]?.public)) {
      const { path, init } = requestFor(route, MATRIX[route]!, victim);
      const response = await h.app.request(path, { ...init, headers: { origin: 'http://localhost:8080' } });
      expect({ route, status: response.status }).toEqual({ route, status: MATRIX[route]!.asOther });
    }
  });

  it('refuses every protected route to a disabled account, saying so', async () => {
    const disabled = await h.makeUser();
    await h.db.update(users).set({ disabledAt: h.clock.now }).where(eq(users.id, disabled.id));
    await refusesEveryProtectedRoute(disabled.request, 'ACCOUNT_DISABLED');
  });

  it('refuses every protected route to a revoked session', async () => {
    const revoked = await h.makeUser();
    await h.db.update(sessions).set({ revokedAt: h.clock.now }).where(eq(sessions.userId, revoked.id));
    await refusesEveryProtectedRoute(revoked.request);
  });

  it("gives another user nothing of the victim's, whatever ids it names", async () => {
    const answers = [];
    for (const route of protectedRoutes()) {
      // A fresh caller each time: signing out ends the session the next request would use.
      const other = await h.makeUser();
      const { path, init } = requestFor(route, MATRIX[route]!, victim);
      const response = await other.request(path, init);
      const text = await response.text();
      // An error may name the id the caller sent; any other id of the victim's in the answer is a leak.
      const sent = `${path} ${typeof init.body === 'string' ? init.body : ''}`;
      const ids = [victim.folder, victim.file, victim.revision, victim.upload, victim.session, victim.user];
      const leaked = ids.filter((id) => text.includes(id) && !sent.includes(id));
      const files = MATRIX[route]!.eachFileAsOther
        ? { files: (JSON.parse(text) as { files: { status: number }[] }).files.map((file) => file.status) }
        : {};
      const admin = isAdminRoute(route)
        ? { code: (JSON.parse(text) as { error?: { code?: string } }).error?.code }
        : {};
      answers.push({ route, status: response.status, leaked, ...files, ...admin });
    }
    expect(answers).toEqual(
      protectedRoutes().map((route) => {
        const { asOther, eachFileAsOther } = MATRIX[route]!;
        return {
          route,
          status: asOther,
          leaked: [],
          ...(eachFileAsOther ? { files: [eachFileAsOther, eachFileAsOther] } : {}),
          ...(isAdminRoute(route) ? { code: 'ADMIN_REQUIRED' } : {}),
        };
      }),
    );
    // Nothing of the victim's changed: the tree, the file's revision, the open upload and the session are all there.
    const path = await ok<{ path: { id: string }[] }>(victimUser.request(`/api/nodes/${victim.file}/path`));
    expect(path.path.map((node) => node.id)).toEqual([victim.root, victim.folder, victim.file]);
    await ok(victimUser.request(`/api/revisions/${victim.revision}`));
    await ok(victimUser.request(`/api/uploads/${victim.upload}`));
    const [account] = await h.db.select().from(users).where(eq(users.id, victim.user));
    expect({ disabledAt: account!.disabledAt, quotaBytes: account!.quotaBytes }).toEqual({
      disabledAt: null,
      quotaBytes: 1024 ** 3,
    });
  });
  /** The routes of files and shares, where a share's recipient may reach the victim's data. */
  const fileRoutes = () =>
    protectedRoutes().filter((route) =>
      /^\w+ \/api\/(uploads|revisions|nodes|trash|usage|shares|handles|links|request-links)\b/.test(route),
    );

  /** Each file route's status (and a batch's statuses per file) for this caller, in the app's order. */
  async function answersOf(caller: TestUser) {
    const answers = [];
    for (const route of fileRoutes()) {
      const row = MATRIX[route]!;
      const { path, init } = requestFor(route, row, victim);
      const response = await caller.request(path, init);
      const body = (await response.json().catch(() => ({}))) as { files?: { status: number }[]; error?: unknown };
      const files = row.eachFileAsOther ? { files: body.files?.map((file) => file.status) ?? body.error } : {};
      answers.push({ route, status: response.status, ...files });
    }
    return answers;
  }

  function expected(as: 'other' | 'viewer' | 'editor') {
    return fileRoutes().map((route) => {
      const row = MATRIX[route]!;
      const viewer = row.asViewer ?? row.asOther;
      const status = as === 'other' ? row.asOther : as === 'viewer' ? viewer : (row.asEditor ?? viewer);
      const viewerFile = row.eachFileAsViewer ?? row.eachFileAsOther;
      const file =
        as === 'other' ? row.eachFileAsOther : as === 'viewer' ? viewerFile : (row.eachFileAsEditor ?? viewerFile);
      return { route, status, ...(file ? { files: [file, file] } : {}) };
    });
  }

  // The pending, declined and revoked shares run first: the editor's row changes the victim's folder.
  it.each(['pending', 'declined', 'revoked'] as const)(
    'gives the recipient of a %s share of the folder what a stranger gets, on every route',
    async (state) => {
      const recipient = await makeSharingUser(h);
      const share = await ok<{ id: string }>(
        victimUser.request(
          '/api/shares',
          json({ grant: await grantFor(victimUser, recipient, victim.folder, { role: 'editor' }) }),
        ),
        201,
      );
      if (state !== 'pending') await ok(recipient.request(`/api/shares/${share.id}/accept`, { method: 'POST' }));
      if (state === 'declined') await ok(recipient.request(`/api/shares/${share.id}/decline`, { method: 'POST' }), 204);
      if (state === 'revoked') await ok(victimUser.request(`/api/shares/${share.id}`, { method: 'DELETE' }), 204);
      expect(await answersOf(recipient)).toEqual(expected('other'));
    },
  );

  it('gives the viewer of the shared folder reading and nothing more, on every route', async () => {
    const viewer = await makeSharingUser(h);
    await shareAccepted(victimUser, viewer, victim.folder);
    expect(await answersOf(viewer)).toEqual(expected('viewer'));
  });

  it('gives the editor of the shared folder reading and writing inside it, never what only the owner does', async () => {
    const editor = await makeSharingUser(h);
    await shareAccepted(victimUser, editor, victim.folder, { role: 'editor' });
    expect(await answersOf(editor)).toEqual(expected('editor'));
  });

  /** Each link route, as the holder of a link of the victim's folder in `state`. */
  async function linkAnswers(link: TestLink, state: LinkState) {
    const answers = [];
    for (const route of routes.filter((route) => MATRIX[route]?.asLink)) {
      const { path } = requestFor(route, MATRIX[route]!, { ...victim, link: link.id });
      const response = await link.get(path.slice(`/api/s/${link.id}`.length), {
        ...(state === 'wrongToken' ? { token: 'A'.repeat(43) } : {}),
      });
      answers.push({ route, status: response.status });
    }
    return answers;
  }

  it.each(LINK_STATES)('gives the holder of a %s link of the folder what its state allows', async (state) => {
    const link = await makeLink(h, victimUser, { id: victim.folder, kind: 'folder' });
    if (state === 'expired') await h.db.update(links).set({ expiresAt: h.clock.now }).where(eq(links.id, link.id));
    if (state === 'exhausted') {
      await h.db.update(links).set({ downloadLimit: 1, downloadCount: 1 }).where(eq(links.id, link.id));
    }
    if (state === 'revoked') await ok(victimUser.request(`/api/links/${link.id}/revoke`, { method: 'POST' }));
    const linkRoutes = routes.filter((route) => MATRIX[route]?.asLink);
    expect(linkRoutes.length).toBe(4);
    expect(await linkAnswers(link, state)).toEqual(
      linkRoutes.map((route) => ({ route, status: MATRIX[route]!.asLink![state] })),
    );
  });

  it("refuses a link's routes to an account's session, the owner's or a stranger's, without the token", async () => {
    const stranger = await h.makeUser();
    for (const caller of [victimUser, stranger]) {
      const answers = [];
      for (const route of routes.filter((route) => MATRIX[route]?.asLink)) {
        const { path } = requestFor(route, MATRIX[route]!, victim);
        answers.push({ route, status: (await caller.request(path)).status });
      }
      expect(answers).toEqual(
        routes.filter((route) => MATRIX[route]?.asLink).map((route) => ({ route, status: MATRIX[route]!.asOther })),
      );
    }
  });

  /** Each request link route, through a request link of the victim's folder in `state`, with an upload begun before. */
  it.each(LINK_STATES)('gives the uploader through a %s request link what its state allows', async (state) => {
    const link = await makeRequestLink(victimUser, victim.folder, { maxFiles: 2 });
    const file = await encryptFile(new Uint8Array(100));
    const begun = await beginRequestUpload(h, victimUser, link.id, victim.folder, file);
    if (state === 'expired') {
      await h.db.update(requestLinks).set({ expiresAt: h.clock.now }).where(eq(requestLinks.id, link.id));
    }
    if (state === 'exhausted') await h.db.update(requestLinks).set({ maxFiles: 1 }).where(eq(requestLinks.id, link.id));
    if (state === 'revoked') await ok(victimUser.request(`/api/request-links/${link.id}/revoke`, { method: 'POST' }));
    const linkId = state === 'wrongToken' ? victim.link : link.id;
    const requestRoutes = routes.filter((route) => MATRIX[route]?.asRequestLink);
    expect(requestRoutes.length).toBe(4);
    const answers = [];
    for (const route of requestRoutes) {
      const { path, init } = requestFor(route, MATRIX[route]!, {
        ...victim,
        requestLink: linkId,
        requestUpload: begun.id,
        requestChunk: file.chunks[0]!,
        uploadThroughRequestLink: await requestUploadBody(
          victimUser,
          link.id,
          victim.folder,
          await encryptFile(new Uint8Array(100)),
        ),
      });
      answers.push({ route, status: (await anonymous(h, path, init)).status });
    }
    expect(answers).toEqual(requestRoutes.map((route) => ({ route, status: MATRIX[route]!.asRequestLink![state] })));
  });
});
