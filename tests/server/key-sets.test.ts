/**
 * The account's key set on the server (docs/FORMAT.md section 4.8): the sign-up stores version 1, and every later
 * version comes with the change it describes, as exactly the stored version plus one, by compare-and-set; an account
 * made before key sets takes its first one, once. The server keeps the order; the devices check the signatures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  describeKeySet,
  generateAccountKeyPairs,
  signKeySet,
  type SignedKeySet,
} from '../../shared/crypto/index.ts';
import { TestBrowser } from './browser.ts';
import { fails, json, ok } from './client.ts';
import { createHarness, ORIGIN, type Harness } from './harness.ts';
import { newRecoveryCode, signUp, type Bundle } from './passkey-accounts.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

const signing = (await generateAccountKeyPairs()).signing.privateKey;

/** A key set of `userId` at `version` (what it lists does not matter to the server, which cannot check it). */
async function keySetOf(userId: string, version: number): Promise<SignedKeySet> {
  const keys = { sharing: new Uint8Array(91), signing: new Uint8Array(91).fill(1) };
  const source = {
    accountId: userId,
    publicKeys: keys,
    passkeyIds: [],
    prfWraps: [],
    passphraseWrap: null,
    recoveryWrap: null,
  };
  return signKeySet(await describeKeySet(source, version), signing);
}

const put = (body: unknown): RequestInit => ({ ...json(body), method: 'PUT' });
const remove = (body: unknown): RequestInit => ({ ...json(body), method: 'DELETE' });

describe.each(DATABASE_KINDS)('key sets on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  /** An account signed up with key set version 1, as the app signs up. */
  async function withKeySet() {
    const browser = new TestBrowser(h);
    const { bundle } = await signUp(browser, async (userId) => ({ keySet: await keySetOf(userId, 1) }));
    return { browser, bundle };
  }

  const stored = async (browser: TestBrowser) =>
    (await ok<Bundle & { keySet: SignedKeySet | null }>(browser.request('/api/account'))).keySet;

  it('stores the sign-up key set and hands it back with the account', async () => {
    const { browser, bundle } = await withKeySet();
    const keySet = await stored(browser);
    expect(keySet).not.toBeNull();
    expect(JSON.parse(new TextDecoder().decode(decodeBase64url(keySet!.statement)))).toMatchObject({
      accountId: bundle.userId,
      version: 1,
    });
  });

  it('takes each credential change only with the next version, and refuses a stale or missing one', async () => {
    const { browser, bundle } = await withKeySet();
    const userId = bundle.userId;
    expect(
      await fails(browser.request('/api/account/recovery', put(await newRecoveryCode())), 409, 'KEY_SET_REQUIRED'),
    ).toMatch(/version 1, so it needs version 2/);
    const stale = put({ ...(await newRecoveryCode()), keySet: await keySetOf(userId, 3) });
    expect(await fails(browser.request('/api/account/recovery', stale), 409, 'KEY_SET_STALE')).toMatch(
      /version 3, but the account's is at version 1, so the next is version 2/,
    );
    await ok(
      browser.request(
        '/api/account/recovery',
        put({ ...(await newRecoveryCode()), keySet: await keySetOf(userId, 2) }),
      ),
      204,
    );
    const phone = await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), await keySetOf(userId, 3));
    await ok(phone.answer, 201);
    const phonePasskey = `/api/account/passkeys/${phone.id}`;
    await fails(browser.request(phonePasskey, remove({ keySet: await keySetOf(userId, 3) })), 409, 'KEY_SET_STALE');
    await ok(browser.request(phonePasskey, remove({ keySet: await keySetOf(userId, 4) })));
    expect(JSON.parse(new TextDecoder().decode(decodeBase64url((await stored(browser))!.statement))).version).toBe(4);
  });

  it('leaves the change undone when its key set is refused', async () => {
    const { browser } = await withKeySet();
    const before = (await ok<{ passkeys: unknown[] }>(browser.request('/api/account/passkeys'))).passkeys.length;
    await fails(
      (await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), undefined)).answer,
      409,
      'KEY_SET_REQUIRED',
    );
    const after = (await ok<{ passkeys: unknown[] }>(browser.request('/api/account/passkeys'))).passkeys.length;
    expect(after).toBe(before);
  });

  it("refuses another account's key set", async () => {
    const { browser } = await withKeySet();
    const foreign = put({ ...(await newRecoveryCode()), keySet: await keySetOf(crypto.randomUUID(), 2) });
    expect(await fails(browser.request('/api/account/recovery', foreign), 400, 'KEY_SET_MALFORMED')).toMatch(
      /names another account, expected this one/,
    );
  });

  it('gives an account made before key sets its first one once (trust on first use), and changes without until then', async () => {
    const browser = new TestBrowser(h);
    const { bundle } = await signUp(browser);
    expect(await stored(browser)).toBeNull();
    await ok(browser.request('/api/account/recovery', put(await newRecoveryCode())), 204);
    await ok(browser.request('/api/account/key-set', put(await keySetOf(bundle.userId, 1))), 204);
    const again = put(await keySetOf(bundle.userId, 1));
    expect(await fails(browser.request('/api/account/key-set', again), 409, 'KEY_SET_STALE')).toMatch(/at version 1/);
    const later = put(await keySetOf(bundle.userId, 2));
    expect(await fails(browser.request('/api/account/key-set', later), 409, 'KEY_SET_STALE')).toMatch(
      /only an account with none/,
    );
  });

  it('lets one of two changes racing on the same version through', async () => {
    const { browser, bundle } = await withKeySet();
    const next = await keySetOf(bundle.userId, 2);
    const answers = await Promise.all(
      [0, 1].map(async () =>
        browser.request('/api/account/recovery', put({ ...(await newRecoveryCode()), keySet: next })),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 409]);
  });
});

/** Adds a passkey made by `authenticator`, with `keySet` beside it: its id, and the server's answer. */
async function addPasskeyWith(
  browser: TestBrowser,
  authenticator: SoftAuthenticator,
  keySet: SignedKeySet | undefined,
) {
  const { options } = await ok<{ options: never }>(browser.post('/api/account/passkeys/options'));
  const response = await authenticator.create(options);
  return {
    id: response.id,
    answer: browser.post('/api/account/passkeys', { response, ...(keySet ? { keySet } : {}) }),
  };
}
