/**
 * The account's key set on the server (docs/FORMAT.md section 4.8): the sign-up stores version 1, and every later
 * version comes with the change it describes, as exactly the stored version plus one, by compare-and-set; an account
 * made before key sets takes its first one, once. Each must be the account's, name its published public keys and be
 * signed by its published signing key: the server stores nothing the account did not sign.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  describeKeySet,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  signKeySet,
  type SignedKeySet,
} from '../../shared/crypto/index.ts';
import { TestBrowser } from './browser.ts';
import { fails, json, ok } from './client.ts';
import { createHarness, ORIGIN, type Harness } from './harness.ts';
import { attemptSignUp, newRecoveryCode, signUp, type Bundle } from './passkey-accounts.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

/** An account's key pairs as the app makes them at sign-up: the signing private key and the public keys it publishes. */
async function accountKeys() {
  const pairs = await generateAccountKeyPairs();
  return {
    signing: pairs.signing.privateKey,
    published: {
      sharing: await exportPublicKey(pairs.sharing.publicKey),
      signing: await exportPublicKey(pairs.signing.publicKey),
    },
  };
}
type AccountKeys = Awaited<ReturnType<typeof accountKeys>>;

/** The sign-up fields that publish `keys`. */
const publishing = (keys: AccountKeys) => ({
  publicKeys: { sharing: encodeBase64url(keys.published.sharing), signing: encodeBase64url(keys.published.signing) },
});

/**
 * A key set of `userId` at `version` naming `keys`, signed with `signer` (the account's own signing key unless given).
 * What it lists besides the keys does not matter to the server, which cannot check it against the wraps' secrets.
 */
async function keySetOf(userId: string, version: number, keys: AccountKeys, signer = keys.signing) {
  const source = {
    accountId: userId,
    publicKeys: keys.published,
    passkeyIds: [],
    prfWraps: [],
    passphraseWrap: null,
    recoveryWrap: null,
  };
  return signKeySet(await describeKeySet(source, version), signer);
}

/** The same key set with one bit of its signature flipped. */
function withBadSignature(signed: SignedKeySet): SignedKeySet {
  const signature = decodeBase64url(signed.signature);
  signature[10]! ^= 1;
  return { ...signed, signature: encodeBase64url(signature, { padding: false }) };
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
    const keys = await accountKeys();
    const { bundle } = await signUp(browser, async (userId) => ({
      ...publishing(keys),
      keySet: await keySetOf(userId, 1, keys),
    }));
    const next = (version: number, signer?: CryptoKey) => keySetOf(bundle.userId, version, keys, signer);
    return { browser, bundle, keys, next };
  }

  /** An account made before key sets: it published its keys at sign-up but brought no key set. */
  async function withoutKeySet() {
    const browser = new TestBrowser(h);
    const keys = await accountKeys();
    const { bundle } = await signUp(browser, publishing(keys));
    return { browser, bundle, keys };
  }

  const version = async (browser: TestBrowser) => {
    const keySet = await stored(browser);
    return keySet && JSON.parse(new TextDecoder().decode(decodeBase64url(keySet.statement))).version;
  };

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
    const { browser, next } = await withKeySet();
    expect(
      await fails(browser.request('/api/account/recovery', put(await newRecoveryCode())), 409, 'KEY_SET_REQUIRED'),
    ).toMatch(/version 1, so it needs version 2/);
    const stale = put({ ...(await newRecoveryCode()), keySet: await next(3) });
    expect(await fails(browser.request('/api/account/recovery', stale), 409, 'KEY_SET_STALE')).toMatch(
      /version 3, but the account's is at version 1, so the next is version 2/,
    );
    await ok(
      browser.request('/api/account/recovery', put({ ...(await newRecoveryCode()), keySet: await next(2) })),
      204,
    );
    const phone = await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), await next(3));
    await ok(phone.answer, 201);
    const phonePasskey = `/api/account/passkeys/${phone.id}`;
    await fails(browser.request(phonePasskey, remove({ keySet: await next(3) })), 409, 'KEY_SET_STALE');
    await ok(browser.request(phonePasskey, remove({ keySet: await next(4) })));
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

  it("refuses another account's key set, well formed and signed by the account's key, as invalid here", async () => {
    const { browser, keys } = await withKeySet();
    const foreign = put({ ...(await newRecoveryCode()), keySet: await keySetOf(crypto.randomUUID(), 2, keys) });
    expect(await fails(browser.request('/api/account/recovery', foreign), 400, 'KEY_SET_INVALID')).toMatch(
      /names another account, expected this one/,
    );
  });

  it('gives an account made before key sets its first one once (trust on first use), and changes without until then', async () => {
    const { browser, bundle, keys } = await withoutKeySet();
    expect(await stored(browser)).toBeNull();
    await ok(browser.request('/api/account/recovery', put(await newRecoveryCode())), 204);
    await ok(browser.request('/api/account/key-set', put(await keySetOf(bundle.userId, 1, keys))), 204);
    const again = put(await keySetOf(bundle.userId, 1, keys));
    expect(await fails(browser.request('/api/account/key-set', again), 409, 'KEY_SET_STALE')).toMatch(/at version 1/);
    const later = put(await keySetOf(bundle.userId, 2, keys));
    expect(await fails(browser.request('/api/account/key-set', later), 409, 'KEY_SET_STALE')).toMatch(
      /only an account with none/,
    );
  });

  it("refuses with a change a next key set the account's signing key did not sign, and leaves the change undone", async () => {
    const { browser, bundle, next } = await withKeySet();
    const other = await withKeySet();
    const recoveryWrap = async () => (await ok<Bundle>(browser.request('/api/account'))).recoveryWrap;
    const before = await recoveryWrap();
    const recovery = async (keySet: SignedKeySet) =>
      browser.request('/api/account/recovery', put({ ...(await newRecoveryCode()), keySet }));
    expect(await fails(recovery(withBadSignature(await next(2))), 400, 'KEY_SET_INVALID')).toMatch(
      /signature does not verify with the account's published signing key/,
    );
    expect(await fails(recovery(await next(2, other.keys.signing)), 400, 'KEY_SET_INVALID')).toMatch(
      /signature does not verify with the account's published signing key/,
    );
    // Signed by the key it names, but that key is another account's: a forger's self-consistent key set.
    expect(await fails(recovery(await keySetOf(bundle.userId, 2, other.keys)), 400, 'KEY_SET_INVALID')).toMatch(
      /names a sharing public key that is not the account's/,
    );
    expect(await version(browser)).toBe(1);
    expect(await recoveryWrap()).toEqual(before);
    await ok(recovery(await next(2)), 204);
    expect(await version(browser)).toBe(2);
  });

  it('refuses a replayed and a skipped version of a well-signed key set', async () => {
    const { browser, next } = await withKeySet();
    await ok(
      browser.request('/api/account/recovery', put({ ...(await newRecoveryCode()), keySet: await next(2) })),
      204,
    );
    const replay = put({ ...(await newRecoveryCode()), keySet: await stored(browser) });
    expect(await fails(browser.request('/api/account/recovery', replay), 409, 'KEY_SET_STALE')).toMatch(
      /version 2, but the account's is at version 2, so the next is version 3/,
    );
    const skip = put({ ...(await newRecoveryCode()), keySet: await next(4) });
    expect(await fails(browser.request('/api/account/recovery', skip), 409, 'KEY_SET_STALE')).toMatch(
      /version 4, but the account's is at version 2, so the next is version 3/,
    );
    expect(await version(browser)).toBe(2);
  });

  it("refuses a first key set the account's signing key did not sign (PUT /api/account/key-set)", async () => {
    const { browser, bundle, keys } = await withoutKeySet();
    const other = await withKeySet();
    const first = (keySet: SignedKeySet) => browser.request('/api/account/key-set', put(keySet));
    await fails(first(withBadSignature(await keySetOf(bundle.userId, 1, keys))), 400, 'KEY_SET_INVALID');
    await fails(first(await keySetOf(bundle.userId, 1, keys, other.keys.signing)), 400, 'KEY_SET_INVALID');
    await fails(first(await keySetOf(bundle.userId, 1, other.keys)), 400, 'KEY_SET_INVALID');
    expect(await stored(browser)).toBeNull();
    await ok(first(await keySetOf(bundle.userId, 1, keys)), 204);
    expect(await version(browser)).toBe(1);
  });

  it('makes no account at a sign-up whose key set its published signing key did not sign', async () => {
    const other = await accountKeys();
    for (const forge of [
      (userId: string, keys: AccountKeys) => keySetOf(userId, 1, keys, other.signing),
      async (userId: string, keys: AccountKeys) => withBadSignature(await keySetOf(userId, 1, keys)),
    ]) {
      const browser = new TestBrowser(h);
      const keys = await accountKeys();
      const { answer } = await attemptSignUp(browser, async (userId) => ({
        ...publishing(keys),
        keySet: await forge(userId, keys),
      }));
      await fails(answer, 400, 'KEY_SET_INVALID');
      await fails(browser.request('/api/account'), 401, 'UNAUTHENTICATED');
    }
  });

  it('lets one of two changes racing on the same version through', async () => {
    const { browser, next } = await withKeySet();
    const second = await next(2);
    const answers = await Promise.all(
      [0, 1].map(async () =>
        browser.request('/api/account/recovery', put({ ...(await newRecoveryCode()), keySet: second })),
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
