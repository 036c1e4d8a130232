import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../server/db/schema.ts';
import { encodeBase64url, exportPublicKey } from '../../shared/crypto/index.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { eq } from 'drizzle-orm';
import { fails, ok } from './client.ts';
import { createHarness, type Harness } from './harness.ts';
import { makeSharingUser } from './sharing-accounts.ts';

const put = (body: unknown): RequestInit => ({
  method: 'PUT',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe.each(DATABASE_KINDS)('handles on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  it('sets a handle, shows it on the account, and finds the account by it in any case with its public keys only', async () => {
    const alice = await makeSharingUser(h);
    const bob = await makeSharingUser(h);
    expect((await ok<{ handle: string | null }>(alice.request('/api/account'))).handle).toBeNull();
    expect(await ok(alice.request('/api/account/handle', put({ handle: 'Alice_1' })))).toEqual({ handle: 'Alice_1' });
    expect((await ok<{ handle: string }>(alice.request('/api/account'))).handle).toBe('Alice_1');

    const found = await ok(bob.request('/api/handles/aLiCe_1'));
    expect(found).toEqual({
      userId: alice.id,
      handle: 'Alice_1',
      publicKeys: {
        sharing: encodeBase64url(await exportPublicKey(alice.keys.sharing.publicKey)),
        signing: encodeBase64url(await exportPublicKey(alice.keys.signing.publicKey)),
      },
    });

    // Changed: the old handle finds nobody, and is free for another account.
    await ok(alice.request('/api/account/handle', put({ handle: 'alice-two' })));
    await fails(bob.request('/api/handles/Alice_1'), 404, 'NO_SUCH_HANDLE');
    await ok(bob.request('/api/account/handle', put({ handle: 'alice_1' })));
  });

  it('refuses a handle taken in another case, and a malformed one naming the rule', async () => {
    const alice = await makeSharingUser(h);
    const bob = await makeSharingUser(h);
    await ok(alice.request('/api/account/handle', put({ handle: 'carol' })));
    expect(await fails(bob.request('/api/account/handle', put({ handle: 'CAROL' })), 409, 'HANDLE_TAKEN')).toContain(
      'CAROL',
    );
    // The owner may set its own handle again, in another case.
    await ok(alice.request('/api/account/handle', put({ handle: 'Carol' })));
    for (const handle of ['ab', '-dash', 'has space', 'x'.repeat(33), 'émile']) {
      const message = await fails(bob.request('/api/account/handle', put({ handle })), 400, 'VALIDATION');
      expect(message).toContain('3 to 32 characters');
    }
    expect(await fails(bob.request('/api/handles/a%20b'), 400, 'BAD_HANDLE')).toContain('3 to 32 characters');
  });

  it('does not find a disabled account', async () => {
    const alice = await makeSharingUser(h);
    const bob = await makeSharingUser(h);
    await ok(alice.request('/api/account/handle', put({ handle: 'dora' })));
    await h.db.update(users).set({ disabledAt: h.clock.now }).where(eq(users.id, alice.id));
    await fails(bob.request('/api/handles/dora'), 404, 'NO_SUCH_HANDLE');
  });

  it('limits lookups per account, with the limit named', async () => {
    const bob = await makeSharingUser(h);
    for (let i = 0; i < 30; i++) await fails(bob.request(`/api/handles/nobody-${i}`), 404, 'NO_SUCH_HANDLE');
    expect(await fails(bob.request('/api/handles/nobody-else'), 429, 'RATE_LIMITED')).toContain('30 handle lookups');
    // Another account has its own count.
    await fails((await makeSharingUser(h)).request('/api/handles/nobody-else'), 404, 'NO_SUCH_HANDLE');
  });
});
