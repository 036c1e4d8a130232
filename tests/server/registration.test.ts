/** Roles and registration: the first account is the admin, the registration mode, and one-time invites. */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegistrationMode } from '../../shared/api/admin-schemas.ts';
import { OPERATOR_SHELL } from '../../server/admin/admin-audit.ts';
import { createInvite } from '../../server/admin/invites.ts';
import {
  claimFirstAdmin,
  registrationMode,
  setRegistrationMode,
  type AdminDeps,
} from '../../server/admin/registration.ts';
import { users } from '../../server/db/schema.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { TestBrowser } from './browser.ts';
import { fails, ok } from './client.ts';
import { createHarness, ORIGIN, type Harness } from './harness.ts';
import { attemptSignUp, days, later, signUp } from './passkey-accounts.ts';

describe.each(DATABASE_KINDS)('registration on %s', (kind) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const adminDeps = (registrationDefault: RegistrationMode): AdminDeps => ({
    db: h.db,
    blobs: h.blobs,
    now: () => h.clock.now,
    defaultQuotaBytes: 1024 ** 3,
    registrationDefault,
  });
  const roleOf = async (id: string) => (await h.db.select().from(users).where(eq(users.id, id)))[0]!.role;

  it('makes the first account the admin, and the next ones users', async () => {
    h = await createHarness(kind);
    const first = await signUp(new TestBrowser(h));
    const second = await signUp(new TestBrowser(h));
    expect(await roleOf(first.bundle.userId)).toBe('admin');
    expect(await roleOf(second.bundle.userId)).toBe('user');
    expect([first.bundle.role, second.bundle.role]).toEqual(['admin', 'user']);
  });

  it('makes one admin of two sign-ups at once on a fresh instance', async () => {
    h = await createHarness(kind);
    const attempts = await Promise.all([attemptSignUp(new TestBrowser(h)), attemptSignUp(new TestBrowser(h))]);
    const answers = await Promise.all(attempts.map((attempt) => attempt.answer));
    expect(answers.map((answer) => answer.status)).toEqual([201, 201]);
    const roles = await Promise.all(attempts.map((attempt) => roleOf(attempt.userId)));
    expect(roles.sort()).toEqual(['admin', 'user']);
  });

  it('lets one of two transactions that claim the first admin together have it, however they interleave', async () => {
    h = await createHarness(kind);
    let arrived = 0;
    let bothClaimed!: () => void;
    const together = new Promise<void>((resolve) => (bothClaimed = resolve));
    // Each holds its transaction open until the other has claimed too (or, where the second must wait for the
    // first's lock, until a moment has passed), so that a check-then-set would let both see no admin.
    const claim = () =>
      h.db.transaction(async (tx) => {
        const won = await claimFirstAdmin(tx, h.clock.now);
        if (++arrived === 2) bothClaimed();
        await Promise.race([together, new Promise((resolve) => setTimeout(resolve, 500))]);
        return won;
      });
    expect((await Promise.all([claim(), claim()])).sort()).toEqual([false, true]);
  });

  it('is open before the first admin, then invite-only by default: an invite signs up once, with its quota', async () => {
    h = await createHarness(kind, { registrationDefault: 'invite-only' });
    const deps = adminDeps('invite-only');
    expect(await registrationMode(deps)).toBe('open');
    await signUp(new TestBrowser(h));
    expect(await registrationMode(deps)).toBe('invite-only');

    const refused = await attemptSignUp(new TestBrowser(h));
    expect(await fails(refused.answer, 403, 'INVITE_REQUIRED')).toMatch(/invite only/);

    const { token, link } = await createInvite(deps, OPERATOR_SHELL, { quotaBytes: 5_000_000 }, ORIGIN);
    expect(link).toBe(`${ORIGIN}/signup#invite=${token}`);
    const invited = await signUp(new TestBrowser(h), { inviteToken: token });
    const [row] = await h.db.select().from(users).where(eq(users.id, invited.bundle.userId));
    expect({ role: row!.role, quotaBytes: row!.quotaBytes }).toEqual({ role: 'user', quotaBytes: 5_000_000 });

    const again = await attemptSignUp(new TestBrowser(h), { inviteToken: token });
    await fails(again.answer, 403, 'INVITE_INVALID');
  });

  it('tells a visitor, before any passkey is made, whether sign-up is open, by invite only or closed', async () => {
    h = await createHarness(kind, { registrationDefault: 'invite-only' });
    const visitor = new TestBrowser(h);
    const registration = () => ok(visitor.request('/api/auth/registration'));
    expect(await registration()).toEqual({ mode: 'open', inviteRequired: false });
    await signUp(new TestBrowser(h));
    expect(await registration()).toEqual({ mode: 'invite-only', inviteRequired: true });
    await setRegistrationMode(adminDeps('invite-only'), OPERATOR_SHELL, 'closed');
    expect(await registration()).toEqual({ mode: 'closed', inviteRequired: false });
  });

  it('refuses an expired invite and an unknown one', async () => {
    h = await createHarness(kind, { registrationDefault: 'invite-only' });
    const deps = adminDeps('invite-only');
    await signUp(new TestBrowser(h));
    const { token } = await createInvite(deps, OPERATOR_SHELL, { expiresInHours: 24 }, ORIGIN);
    const wrong = await attemptSignUp(new TestBrowser(h), { inviteToken: 'A'.repeat(43) });
    await fails(wrong.answer, 403, 'INVITE_INVALID');
    later(h, days(2));
    const expired = await attemptSignUp(new TestBrowser(h), { inviteToken: token });
    expect(await fails(expired.answer, 403, 'INVITE_INVALID')).toMatch(/expired/);
  });

  it('lets no one in when closed, invite or not, and everyone when an admin opens it', async () => {
    h = await createHarness(kind, { registrationDefault: 'invite-only' });
    const deps = adminDeps('invite-only');
    await signUp(new TestBrowser(h));
    const { token } = await createInvite(deps, OPERATOR_SHELL, {}, ORIGIN);
    await setRegistrationMode(deps, OPERATOR_SHELL, 'closed');
    for (const extra of [{}, { inviteToken: token }]) {
      await fails((await attemptSignUp(new TestBrowser(h), extra)).answer, 403, 'REGISTRATION_CLOSED');
    }
    await setRegistrationMode(deps, OPERATOR_SHELL, 'open');
    await ok((await attemptSignUp(new TestBrowser(h))).answer, 201);
  });
});
