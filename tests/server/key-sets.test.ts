/**
 * The account's key set on the server (docs/FORMAT.md section 4.8): the sign-up stores version 1, and every later
 * version comes with the change it describes, as exactly the stored version plus one, by compare-and-set; an account
 * made before key sets takes its first one, once. Each must be the account's, name its published public keys and be
 * signed by its published signing key: the server stores nothing the account did not sign. And each must name the
 * ways in exactly as its change leaves them: the passkeys, and the digests of the wraps.
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
import { attemptSignUp, newRecoveryCode, random, signUp, someWrap, type Bundle } from './passkey-accounts.ts';
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

/** The ways into an account a key set names: its passkeys, and the token text of each wrap. */
interface Ways {
  passkeyIds: string[];
  prfWraps: { credentialId: string; wrapped: string }[];
  passphraseWrap: { wrapped: string } | null;
  recoveryWrap: { wrapped: string } | null;
}
const NO_WAYS: Ways = { passkeyIds: [], prfWraps: [], passphraseWrap: null, recoveryWrap: null };

/** A key set of `userId` at `version` naming `keys` and `ways`, signed with `signer` (the account's own unless given). */
async function keySetOf(userId: string, version: number, keys: AccountKeys, ways = NO_WAYS, signer = keys.signing) {
  const source = { accountId: userId, publicKeys: keys.published, ...ways };
  return signKeySet(await describeKeySet(source, version), signer);
}

/** The ways into the account of this browser's session, as the server shows them now. */
async function shownWays(browser: TestBrowser): Promise<Ways> {
  const bundle = await ok<Bundle>(browser.request('/api/account'));
  const { passkeys } = await ok<{ passkeys: { id: string }[] }>(browser.request('/api/account/passkeys'));
  return {
    passkeyIds: passkeys.map((passkey) => passkey.id),
    prfWraps: bundle.prfWraps,
    passphraseWrap: bundle.passphraseWrap as { wrapped: string } | null,
    recoveryWrap: bundle.recoveryWrap,
  };
}

/** Changes to the ways in, as a request makes them. */
const withRecovery = (code: { recoveryWrap: { wrapped: string } }) => (ways: Ways) => ({
  ...ways,
  recoveryWrap: code.recoveryWrap,
});
const withPasskey = (id: string) => (ways: Ways) => ({ ...ways, passkeyIds: [...ways.passkeyIds, id] });
const withoutPasskey = (id: string) => (ways: Ways) => ({
  ...ways,
  passkeyIds: ways.passkeyIds.filter((other) => other !== id),
  prfWraps: ways.prfWraps.filter((wrap) => wrap.credentialId !== id),
});

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

  /** The sign-up's wraps, and the ways in it makes with its passkey. */
  async function signUpWays(credentialId: string) {
    const prfWrap = { salt: random(32), wrapped: await someWrap() };
    const recoveryWrap = { salt: random(32), wrapped: await someWrap() };
    const ways = { ...NO_WAYS, passkeyIds: [credentialId], prfWraps: [{ credentialId, ...prfWrap }], recoveryWrap };
    return { wraps: { prfWrap, recoveryWrap }, ways };
  }

  /** An account signed up with key set version 1, as the app signs up. */
  async function withKeySet() {
    const browser = new TestBrowser(h);
    const keys = await accountKeys();
    let firstWays = NO_WAYS;
    const { bundle, recoveryVerifier } = await signUp(browser, async (userId, credentialId) => {
      const { wraps, ways } = await signUpWays(credentialId);
      firstWays = ways;
      return { ...publishing(keys), ...wraps, keySet: await keySetOf(userId, 1, keys, ways) };
    });
    /** The next key set: the ways in the server shows now, with `change` made. */
    const next = async (version: number, change = (ways: Ways) => ways, signer?: CryptoKey) =>
      keySetOf(bundle.userId, version, keys, change(await shownWays(browser)), signer);
    return { browser, bundle, keys, next, firstWays: () => firstWays, recoveryVerifier };
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
    const code = await newRecoveryCode();
    const stale = put({ ...code, keySet: await next(3, withRecovery(code)) });
    expect(await fails(browser.request('/api/account/recovery', stale), 409, 'KEY_SET_STALE')).toMatch(
      /version 3, but the account's is at version 1, so the next is version 2/,
    );
    await ok(
      browser.request('/api/account/recovery', put({ ...code, keySet: await next(2, withRecovery(code)) })),
      204,
    );
    const phone = await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), (id) => next(3, withPasskey(id)));
    await ok(phone.answer, 201);
    const phonePasskey = `/api/account/passkeys/${phone.id}`;
    const dropped = withoutPasskey(phone.id);
    await fails(browser.request(phonePasskey, remove({ keySet: await next(3, dropped) })), 409, 'KEY_SET_STALE');
    await ok(browser.request(phonePasskey, remove({ keySet: await next(4, dropped) })));
    expect(JSON.parse(new TextDecoder().decode(decodeBase64url((await stored(browser))!.statement))).version).toBe(4);
  });

  it('leaves the change undone when its key set is refused', async () => {
    const { browser } = await withKeySet();
    const before = (await ok<{ passkeys: unknown[] }>(browser.request('/api/account/passkeys'))).passkeys.length;
    await fails(
      (await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), async () => undefined)).answer,
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
    const first = await keySetOf(bundle.userId, 1, keys, await shownWays(browser));
    await ok(browser.request('/api/account/key-set', put(first)), 204);
    const again = put(first);
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
    const code = await newRecoveryCode();
    const recovery = async (keySet: SignedKeySet) => browser.request('/api/account/recovery', put({ ...code, keySet }));
    expect(await fails(recovery(withBadSignature(await next(2, withRecovery(code)))), 400, 'KEY_SET_INVALID')).toMatch(
      /signature does not verify with the account's published signing key/,
    );
    expect(
      await fails(recovery(await next(2, withRecovery(code), other.keys.signing)), 400, 'KEY_SET_INVALID'),
    ).toMatch(/signature does not verify with the account's published signing key/);
    // Signed by the key it names, but that key is another account's: a forger's self-consistent key set.
    expect(await fails(recovery(await keySetOf(bundle.userId, 2, other.keys)), 400, 'KEY_SET_INVALID')).toMatch(
      /names a sharing public key that is not the account's/,
    );
    expect(await version(browser)).toBe(1);
    expect(await recoveryWrap()).toEqual(before);
    await ok(recovery(await next(2, withRecovery(code))), 204);
    expect(await version(browser)).toBe(2);
  });

  it('refuses a replayed and a skipped version of a well-signed key set', async () => {
    const { browser, next } = await withKeySet();
    const code = await newRecoveryCode();
    await ok(
      browser.request('/api/account/recovery', put({ ...code, keySet: await next(2, withRecovery(code)) })),
      204,
    );
    const replay = put({ ...(await newRecoveryCode()), keySet: await stored(browser) });
    expect(await fails(browser.request('/api/account/recovery', replay), 409, 'KEY_SET_STALE')).toMatch(
      /version 2, but the account's is at version 2, so the next is version 3/,
    );
    const skipping = await newRecoveryCode();
    const skip = put({ ...skipping, keySet: await next(4, withRecovery(skipping)) });
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
    await fails(first(await keySetOf(bundle.userId, 1, keys, NO_WAYS, other.keys.signing)), 400, 'KEY_SET_INVALID');
    await fails(first(await keySetOf(bundle.userId, 1, other.keys)), 400, 'KEY_SET_INVALID');
    expect(await stored(browser)).toBeNull();
    await ok(first(await keySetOf(bundle.userId, 1, keys, await shownWays(browser))), 204);
    expect(await version(browser)).toBe(1);
  });

  it('makes no account at a sign-up whose key set its published signing key did not sign', async () => {
    const other = await accountKeys();
    for (const forge of [
      (userId: string, keys: AccountKeys) => keySetOf(userId, 1, keys, NO_WAYS, other.signing),
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

  it('refuses a key set that leaves out the passkey a change adds, or names it without its PRF wrap, and adds nothing', async () => {
    const { browser, next } = await withKeySet();
    const left = await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), () => next(2));
    expect(await fails(left.answer, 400, 'KEY_SET_MISMATCH')).toMatch(
      /names 1 passkey\(s\), 0 of them not the account's and 1 of the account's left out; expected exactly the 2/,
    );
    const prfWrap = { salt: random(32), wrapped: await someWrap() };
    const authenticator = new SoftAuthenticator(ORIGIN);
    const bare = await addPasskeyWith(browser, authenticator, (id) => next(2, withPasskey(id)), prfWrap);
    expect(await fails(bare.answer, 400, 'KEY_SET_MISMATCH')).toMatch(
      /names a passkey with null, expected the digest of its PRF wrap/,
    );
    expect((await shownWays(browser)).passkeyIds).toHaveLength(1);
    expect(await version(browser)).toBe(1);
    const withWrap = (id: string) => (ways: Ways) => ({
      ...withPasskey(id)(ways),
      prfWraps: [...ways.prfWraps, { credentialId: id, wrapped: prfWrap.wrapped }],
    });
    await ok((await addPasskeyWith(browser, authenticator, (id) => next(2, withWrap(id)), prfWrap)).answer, 201);
    expect(await version(browser)).toBe(2);
  });

  it('refuses a key set that still names the passkey a change removes, and keeps the passkey', async () => {
    const { browser, next } = await withKeySet();
    const phone = await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), (id) => next(2, withPasskey(id)));
    await ok(phone.answer, 201);
    const kept = remove({ keySet: await next(3) });
    expect(await fails(browser.request(`/api/account/passkeys/${phone.id}`, kept), 400, 'KEY_SET_MISMATCH')).toMatch(
      /names 2 passkey\(s\), 1 of them not the account's and 0 of the account's left out; expected exactly the 1/,
    );
    expect((await shownWays(browser)).passkeyIds).toContain(phone.id);
    expect(await version(browser)).toBe(2);
  });

  it('refuses a key set that names the old recovery wrap beside a new recovery code, and keeps the old code', async () => {
    const { browser, next } = await withKeySet();
    const before = (await shownWays(browser)).recoveryWrap;
    const code = await newRecoveryCode();
    const old = put({ ...code, keySet: await next(2) });
    expect(await fails(browser.request('/api/account/recovery', old), 400, 'KEY_SET_MISMATCH')).toMatch(
      /recoveryWrapDigest is the digest of another wrap, expected the digest of its recovery wrap/,
    );
    expect((await shownWays(browser)).recoveryWrap).toEqual(before);
    expect(await version(browser)).toBe(1);
  });

  it('takes a key set that still names a recovery code used up, as the stored one does, but no other', async () => {
    const { bundle, keys, firstWays, recoveryVerifier } = await withKeySet();
    // The recovery signs the account's other sessions out: what follows is the recovered session's.
    const browser = new TestBrowser(h);
    await ok(browser.post('/api/auth/recover', { recoveryVerifier }));
    expect((await shownWays(browser)).recoveryWrap).toBeNull();
    const naming = (recoveryWrap: { wrapped: string }) => async (id: string) =>
      keySetOf(bundle.userId, 2, keys, { ...withPasskey(id)(await shownWays(browser)), recoveryWrap });
    const forged = await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), naming({ wrapped: await someWrap() }));
    expect(await fails(forged.answer, 400, 'KEY_SET_MISMATCH')).toMatch(
      /recoveryWrapDigest is a digest, expected null, or the stored key set's/,
    );
    const phone = await addPasskeyWith(browser, new SoftAuthenticator(ORIGIN), naming(firstWays().recoveryWrap!));
    await ok(phone.answer, 201);
    expect(await version(browser)).toBe(2);
  });

  it('makes no account at a sign-up whose key set does not name the ways in it makes', async () => {
    const browser = new TestBrowser(h);
    const keys = await accountKeys();
    const { answer } = await attemptSignUp(browser, async (userId, credentialId) => {
      const { wraps, ways } = await signUpWays(credentialId);
      return {
        ...publishing(keys),
        ...wraps,
        keySet: await keySetOf(userId, 1, keys, { ...ways, recoveryWrap: null }),
      };
    });
    expect(await fails(answer, 400, 'KEY_SET_MISMATCH')).toMatch(
      /recoveryWrapDigest is null, expected the digest of its recovery wrap/,
    );
    await fails(browser.request('/api/account'), 401, 'UNAUTHENTICATED');
  });

  it('refuses a first key set (PUT /api/account/key-set) that does not name the ways in the account has', async () => {
    const { browser, bundle, keys } = await withoutKeySet();
    const empty = put(await keySetOf(bundle.userId, 1, keys));
    expect(await fails(browser.request('/api/account/key-set', empty), 400, 'KEY_SET_MISMATCH')).toMatch(
      /names 0 passkey\(s\), 0 of them not the account's and 1 of the account's left out/,
    );
    expect(await stored(browser)).toBeNull();
  });

  it('lets one of two changes racing on the same version through', async () => {
    const { browser, next } = await withKeySet();
    const code = await newRecoveryCode();
    const second = await next(2, withRecovery(code));
    const answers = await Promise.all(
      [0, 1].map(async () => browser.request('/api/account/recovery', put({ ...code, keySet: second }))),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 409]);
  });
});

/**
 * Adds a passkey made by `authenticator`, with the key set `keySetFor` makes for its id beside it (and `prfWrap`, when
 * given): its id, and the server's answer.
 */
async function addPasskeyWith(
  browser: TestBrowser,
  authenticator: SoftAuthenticator,
  keySetFor: (credentialId: string) => Promise<SignedKeySet | undefined>,
  prfWrap?: { salt: string; wrapped: string },
) {
  const { options } = await ok<{ options: never }>(browser.post('/api/account/passkeys/options'));
  const response = await authenticator.create(options);
  const keySet = await keySetFor(response.id);
  return {
    id: response.id,
    answer: browser.post('/api/account/passkeys', {
      response,
      ...(prfWrap ? { prfWrap } : {}),
      ...(keySet ? { keySet } : {}),
    }),
  };
}
