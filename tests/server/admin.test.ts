/**
 * The admin API: accounts listed, quotas, disable and enable, sessions ended, deletion of every row and blob (after a
 * fresh passkey check), and the whole instance's audit log.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AccountBundle,
  AdminUsersResponse,
  AuditExportResponse,
  InstanceResponse,
  NewInviteResponse,
  SecurityEventsResponse,
} from '../../shared/api/responses.ts';
import { deleteAccount, disableAccount, setQuota } from '../../server/admin/accounts.ts';
import { OPERATOR_SHELL, type AdminCaller } from '../../server/admin/admin-audit.ts';
import type { AdminDeps } from '../../server/admin/registration.ts';
import { ApiError } from '../../server/http/errors.ts';
import { accountKey } from '../../server/auth/lockout.ts';
import {
  auditEvents,
  authChallenges,
  authLockouts,
  credentials,
  nodes,
  revisions,
  sessions,
  uploads,
  users,
  wrappedKeys,
} from '../../server/db/schema.ts';
import { revisionPrefix } from '../../server/uploads/segments.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { TestBrowser } from './browser.ts';
import { createRoot, createUploadRequest, encryptFile, fails, json, ok, startUpload, uploadFile } from './client.ts';
import { createHarness, ORIGIN, type Harness, type TestUser } from './harness.ts';
import { attemptSignUp, later, minutes, signUp, stepUp } from './passkey-accounts.ts';

const send = (method: string, body?: unknown): RequestInit =>
  body === undefined ? { method } : { ...json(body), method };

describe.each(DATABASE_KINDS)('admin API on %s', (kind) => {
  let h: Harness;
  /** The instance's first account, signed up with a passkey: its admin, who can step up. */
  let adminBrowser: TestBrowser;
  let admin: Pick<TestUser, 'id' | 'request'>;

  beforeAll(async () => {
    h = await createHarness(kind);
    adminBrowser = new TestBrowser(h);
    const { bundle } = await signUp(adminBrowser);
    admin = { id: bundle.userId, request: (path, init) => adminBrowser.request(path, init) };
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The domain's own calls, as the routes make them once an admin's request passed the admin check. */
  const deps = (): AdminDeps => ({
    db: h.db,
    blobs: h.blobs,
    now: () => h.clock.now,
    defaultQuotaBytes: 1024 ** 3,
    registrationDefault: 'open',
  });
  const as = (userId: string): AdminCaller => ({
    userId,
    origin: { requestId: 'test', clientAddress: '192.0.2.1' },
    now: () => h.clock.now,
  });
  const makeAdmin = async () => {
    const made = await h.makeUser();
    await h.db.update(users).set({ role: 'admin' }).where(eq(users.id, made.id));
    return made.id;
  };
  const codeOf = (result: PromiseSettledResult<unknown>) =>
    result.status === 'rejected' && result.reason instanceof ApiError ? result.reason.code : result.status;

  const accountOf = async (id: string) =>
    (await ok<AdminUsersResponse>(admin.request('/api/admin/users'))).users.find((user) => user.id === id);

  it('lists accounts with sizes, counts and times only, and the instance with its totals', async () => {
    const bob = await h.makeUser(5 * 1024 ** 2);
    await uploadFile(bob, await encryptFile(patternBytes(3000)), await createRoot(bob));
    const listed = await accountOf(bob.id);
    expect(Object.keys(listed!).sort()).toEqual(
      ['createdAt', 'handle', 'id', 'lastActiveAt', 'passkeys', 'quotaBytes', 'role', 'status', 'usedBytes'].sort(),
    );
    expect(listed).toMatchObject({ role: 'user', status: 'active', quotaBytes: 5 * 1024 ** 2, passkeys: 0 });
    const { usedBytes } = await ok<{ usedBytes: number }>(bob.request('/api/usage'));
    expect(listed!.usedBytes).toBe(usedBytes);
    expect(usedBytes).toBeGreaterThan(3000);
    const instance = await ok<InstanceResponse>(admin.request('/api/admin/instance'));
    expect(instance.users).toBeGreaterThanOrEqual(2);
    expect(instance.files).toBeGreaterThanOrEqual(1);
    expect(instance.usedBytes).toBeGreaterThanOrEqual(usedBytes);
  });

  it("sets a user's quota, which their next upload over it meets with a message naming the limit", async () => {
    const bob = await h.makeUser();
    const root = await createRoot(bob);
    await ok(admin.request(`/api/admin/users/${bob.id}/quota`, send('PUT', { quotaBytes: 4096 })), 204);
    expect((await accountOf(bob.id))!.quotaBytes).toBe(4096);
    const big = await encryptFile(patternBytes(6000));
    const message = await fails(
      bob.request('/api/uploads', json(createUploadRequest(big, root))),
      413,
      'QUOTA_EXCEEDED',
    );
    expect(message).toContain('of your 4.0 KiB quota');
  });

  it('sets the default quota of accounts signed up from now on', async () => {
    await ok(admin.request('/api/admin/default-quota', send('PUT', { quotaBytes: 123_456 })), 204);
    const attempt = await attemptSignUp(new TestBrowser(h));
    await ok(attempt.answer, 201);
    expect((await accountOf(attempt.userId))!.quotaBytes).toBe(123_456);
    expect((await ok<InstanceResponse>(admin.request('/api/admin/instance'))).defaultQuotaBytes).toBe(123_456);
  });

  it('disables an account, whose sessions end at once, and enables it again', async () => {
    const bob = await h.makeUser();
    await ok(bob.request('/api/usage'));
    const disabled = await ok<{ endedSessions: number }>(
      admin.request(`/api/admin/users/${bob.id}/disable`, send('POST')),
    );
    expect(disabled.endedSessions).toBe(1);
    // The browser that held the session is told why it ended.
    expect(await fails(bob.request('/api/usage'), 401, 'ACCOUNT_DISABLED')).toContain('disabled by an admin');
    const live = await h.db.select().from(sessions).where(eq(sessions.userId, bob.id));
    expect(live.map((session) => session.revokedAt)).toEqual([h.clock.now]);
    expect((await accountOf(bob.id))!.status).toBe('disabled');
    await ok(admin.request(`/api/admin/users/${bob.id}/enable`, send('POST')), 204);
    expect((await accountOf(bob.id))!.status).toBe('active');
    // Enabling lets the account sign in again; the sessions it had stay ended.
    await fails(bob.request('/api/usage'), 401, 'UNAUTHENTICATED');
    const audited = await h.db.select().from(auditEvents).where(eq(auditEvents.userId, admin.id));
    expect(audited.map((event) => event.type)).toEqual(
      expect.arrayContaining(['admin-user-disabled', 'admin-user-enabled']),
    );
  });

  it("ends a user's sessions, and refuses to disable or delete the admin's own account", async () => {
    const bob = await h.makeUser();
    const ended = await ok<{ endedSessions: number }>(
      admin.request(`/api/admin/users/${bob.id}/sessions`, send('DELETE')),
    );
    expect(ended.endedSessions).toBe(1);
    await fails(bob.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await fails(admin.request(`/api/admin/users/${admin.id}/disable`, send('POST')), 409, 'CANNOT_TARGET_SELF');
    await fails(
      admin.request(`/api/admin/users/${admin.id}`, send('DELETE', { confirm: admin.id })),
      409,
      'CANNOT_TARGET_SELF',
    );
    await fails(admin.request(`/api/admin/users/${crypto.randomUUID()}/disable`, send('POST')), 404, 'NOT_FOUND');
  });

  it('deletes an account with every row and every blob, once confirmed with its id', async () => {
    const bob = await h.makeUser();
    const root = await createRoot(bob);
    const done = await uploadFile(bob, await encryptFile(patternBytes(3000)), root);
    const open = await startUpload(bob, await encryptFile(patternBytes(100)), root);
    const revisionIds = (await h.db.select().from(revisions).where(eq(revisions.ownerId, bob.id))).map((r) => r.id);
    expect(revisionIds).toEqual(expect.arrayContaining([done.revisionId]));
    const blobsOf = async (revisionId: string) => {
      const keys = [];
      for await (const key of h.blobs.list(revisionPrefix(revisionId))) keys.push(key);
      return keys;
    };
    expect((await blobsOf(done.revisionId)).length).toBeGreaterThan(0);
    // A challenge issued to the account and a lockout of it name it without a foreign key.
    await ok(bob.request('/api/account/step-up/options', send('POST', {})));
    await h.db.insert(authLockouts).values({ bucket: accountKey(bob.id), failures: 1, lastFailureAt: h.clock.now });

    const wrong = crypto.randomUUID();
    await fails(
      admin.request(`/api/admin/users/${bob.id}`, send('DELETE', { confirm: wrong })),
      400,
      'CONFIRMATION_MISMATCH',
    );
    await ok(admin.request(`/api/admin/users/${bob.id}`, send('DELETE', { confirm: bob.id })), 204);

    const left = {
      users: await h.db.select().from(users).where(eq(users.id, bob.id)),
      nodes: await h.db.select().from(nodes).where(eq(nodes.ownerId, bob.id)),
      revisions: await h.db.select().from(revisions).where(eq(revisions.ownerId, bob.id)),
      uploads: await h.db.select().from(uploads).where(eq(uploads.id, open.uploadId)),
      sessions: await h.db.select().from(sessions).where(eq(sessions.userId, bob.id)),
      credentials: await h.db.select().from(credentials).where(eq(credentials.userId, bob.id)),
      wrappedKeys: await h.db.select().from(wrappedKeys).where(eq(wrappedKeys.userId, bob.id)),
      auditEvents: await h.db.select().from(auditEvents).where(eq(auditEvents.userId, bob.id)),
      authChallenges: await h.db.select().from(authChallenges).where(eq(authChallenges.userId, bob.id)),
      authLockouts: await h.db
        .select()
        .from(authLockouts)
        .where(eq(authLockouts.bucket, accountKey(bob.id))),
    };
    expect(Object.values(left).map((rows) => rows.length)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for (const revisionId of revisionIds) expect(await blobsOf(revisionId)).toEqual([]);
    expect(await accountOf(bob.id)).toBeUndefined();
  });

  it('makes, lists and revokes invites, and sets the registration mode', async () => {
    const made = await ok<NewInviteResponse>(
      admin.request('/api/admin/invites', send('POST', { expiresInHours: 2 })),
      201,
    );
    expect(made.link).toBe(`${ORIGIN}/signup#invite=${made.token}`);
    const listed = await ok<{ invites: { id: string }[] }>(admin.request('/api/admin/invites'));
    expect(listed.invites.map((invite) => invite.id)).toContain(made.invite.id);
    expect(JSON.stringify(listed)).not.toContain(made.token);
    await ok(admin.request(`/api/admin/invites/${made.invite.id}`, send('DELETE')), 204);
    await ok(admin.request('/api/admin/registration', send('PUT', { mode: 'invite-only' })), 204);
    expect(await ok(admin.request('/api/admin/registration'))).toEqual({ mode: 'invite-only' });
    const revoked = await attemptSignUp(new TestBrowser(h), { inviteToken: made.token });
    await fails(revoked.answer, 403, 'INVITE_INVALID');
    await fails(admin.request('/api/admin/registration', send('PUT', { mode: 'everyone' })), 400, 'VALIDATION');
  });

  it("shows an admin every account's audit events, filtered by account, type and time, and exports them", async () => {
    const bob = await h.makeUser();
    const carol = await h.makeUser();
    await ok(admin.request(`/api/admin/users/${bob.id}/quota`, send('PUT', { quotaBytes: 1000 })), 204);
    await ok(admin.request(`/api/admin/users/${carol.id}/sessions`, send('DELETE')));
    later(h, 1000);
    const disabledAt = encodeURIComponent(h.clock.now.toISOString());
    await ok(admin.request(`/api/admin/users/${carol.id}/disable`, send('POST')));
    const listed = async (query: string) =>
      (await ok<SecurityEventsResponse>(admin.request(`/api/admin/audit-events?${query}`))).events;

    const quotaEvents = await listed('type=admin-quota-set');
    expect(quotaEvents[0]).toMatchObject({ userId: admin.id, details: { targetUserId: bob.id, quotaBytes: 1000 } });
    expect(quotaEvents.every((event) => event.type === 'admin-quota-set')).toBe(true);
    const [signUpOfAdmin] = await listed(`userId=${admin.id}&type=sign-up`);
    expect(signUpOfAdmin).toMatchObject({ userId: admin.id, details: { role: 'admin' } });
    const recent = await listed(`from=${disabledAt}`);
    expect(recent.map((event) => event.type)).toEqual(['admin-user-disabled']);
    const before = await listed(`type=admin-sessions-ended,admin-user-disabled&to=${disabledAt}&limit=1`);
    expect(before.map((event) => event.type)).toEqual(['admin-sessions-ended']);

    const response = await admin.request(`/api/admin/audit-events/export?userId=${admin.id}&type=admin-quota-set`);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="coffer-audit-events.json"');
    const exported = await ok<AuditExportResponse>(response);
    expect(exported.filter).toMatchObject({ userId: admin.id, types: ['admin-quota-set'] });
    expect(exported.complete).toBe(true);
    expect(exported.events.map((event) => event.details)).toEqual(
      quotaEvents.map((event) => event.details).filter((details) => details['by'] === 'admin'),
    );
    await fails(admin.request('/api/admin/audit-events?userId=bob'), 400, 'VALIDATION');
    await fails(admin.request('/api/admin/audit-events?limit=101'), 400, 'BAD_LIMIT');
  });

  it('lists each account with its handle, and deletes one that has a handle only when the handle is typed', async () => {
    const dora = await h.makeUser();
    await ok(dora.request('/api/account/handle', send('PUT', { handle: 'Dora_K' })));
    const { users: listed } = await ok<AdminUsersResponse>(admin.request('/api/admin/users'));
    expect(listed.find((user) => user.id === dora.id)?.handle).toBe('Dora_K');
    const deleting = (confirm: string) => admin.request(`/api/admin/users/${dora.id}`, send('DELETE', { confirm }));
    expect(await fails(deleting(dora.id), 400, 'CONFIRMATION_MISMATCH')).toContain('@Dora_K');
    await ok(deleting('dora_k'), 204);
    expect(await accountOf(dora.id)).toBeUndefined();
  });

  it("tells the app an account's role, for its administration screens", async () => {
    const bob = await h.makeUser();
    expect((await ok<AccountBundle>(admin.request('/api/account'))).role).toBe('admin');
    expect((await ok<AccountBundle>(bob.request('/api/account'))).role).toBe('user');
  });

  // Last: it moves the shared clock past the admin's step-up.
  it("deletes an account only after the admin's fresh passkey check", async () => {
    const bob = await h.makeUser();
    later(h, minutes(6));
    const deleting = () => admin.request(`/api/admin/users/${bob.id}`, send('DELETE', { confirm: bob.id }));
    await fails(deleting(), 403, 'STEP_UP_REQUIRED');
    expect(await accountOf(bob.id)).toBeDefined();
    await ok(stepUp(adminBrowser));
    await ok(deleting(), 204);
    expect(await accountOf(bob.id)).toBeUndefined();
  });

  it("keeps a deleted admin's actions in the instance's log, naming them in the details", async () => {
    const carol = await makeAdmin();
    const dave = await h.makeUser();
    await setQuota(deps(), as(carol), dave.id, 4096);
    await h.db.insert(auditEvents).values({ userId: carol, type: 'sign-out', details: {} });
    await ok(stepUp(adminBrowser));
    await ok(admin.request(`/api/admin/users/${carol}`, send('DELETE', { confirm: carol })), 204);
    const kept = await h.db.select().from(auditEvents).where(eq(auditEvents.type, 'admin-quota-set'));
    expect(kept.filter((event) => event.details.targetUserId === dave.id)).toMatchObject([
      { userId: null, details: { by: 'admin', adminId: carol, targetUserId: dave.id, quotaBytes: 4096 } },
    ]);
    const { events } = await ok<SecurityEventsResponse>(admin.request('/api/admin/audit-events?type=admin-quota-set'));
    expect(events.some((event) => event.details.adminId === carol)).toBe(true);
    // Carol's own events (her sign-ins, sign-outs) go with her account.
    const ownLeft = await h.db.select().from(auditEvents).where(eq(auditEvents.type, 'sign-out'));
    expect(ownLeft.filter((event) => event.userId === carol || event.userId === null)).toEqual([]);
  });

  it('leaves an active admin when two admins disable or delete each other at once, and never disables the last', async () => {
    for (const act of [
      (caller: string, target: string) => disableAccount(deps(), as(caller), target),
      (caller: string, target: string) => deleteAccount(deps(), as(caller), target, target),
    ]) {
      const [carol, dave] = [await makeAdmin(), await makeAdmin()];
      const results = await Promise.allSettled([act(carol, dave), act(dave, carol)]);
      expect(results.map(codeOf).sort()).toEqual(['NOT_AN_ACTIVE_ADMIN', 'fulfilled']);
      const left = await h.db.select().from(users).where(eq(users.role, 'admin'));
      expect(left.filter((row) => [carol, dave].includes(row.id) && row.disabledAt === null)).toHaveLength(1);
    }
    // The operator's shell disables every other active admin; the harness's admin is then the last one.
    const others = await h.db.select().from(users).where(eq(users.role, 'admin'));
    for (const other of others.filter((row) => row.id !== admin.id && row.disabledAt === null)) {
      await disableAccount(deps(), OPERATOR_SHELL, other.id);
    }
    const last = await Promise.allSettled([
      disableAccount(deps(), OPERATOR_SHELL, admin.id),
      deleteAccount(deps(), OPERATOR_SHELL, admin.id, admin.id),
    ]);
    expect(last.map(codeOf)).toEqual(['LAST_ACTIVE_ADMIN', 'LAST_ACTIVE_ADMIN']);
    expect((await accountOf(admin.id))!.status).toBe('active');
  });
});
