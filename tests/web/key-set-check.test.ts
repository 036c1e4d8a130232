/**
 * The key set as the device checks it after an unlock (web/src/lib/integrity/key-set-check.ts) and builds on it for a
 * credential change (next-key-set.ts), against this device's memory of versions, held in memory here.
 */
import { describe, expect, it } from 'vitest';
import type { AccountBundle, PasskeysResponse } from '../../shared/api/responses.ts';
import {
  decodeBase64url,
  describeKeySet,
  readKeySet,
  signKeySet,
  type AccountKeyPairs,
} from '../../shared/crypto/index.ts';
import { checkKeySet, keySetWarning } from '../../web/src/lib/integrity/key-set-check.ts';
import { KeySetUntrusted, nextKeySet } from '../../web/src/lib/integrity/next-key-set.ts';
import { seenVersionsInMemory } from '../../web/src/lib/integrity/seen-versions.ts';
import { person, unlockedAccount } from './people.ts';

const me = await person('me');
const account = await unlockedAccount(me);
const passkeys = ['cred-A', 'cred-B'];

/** The account as the server shows it, with a key set at `version` that states exactly it (or `stated`, if given). */
async function shown(version: number | null, keys: AccountKeyPairs = me.keys, stated = passkeys) {
  const bundle: AccountBundle = { ...account.bundle, prfWraps: [], keySet: null };
  if (version !== null) {
    const source = {
      accountId: me.id,
      publicKeys: { sharing: decodeBase64url(me.published.sharing), signing: decodeBase64url(me.published.signing) },
      passkeyIds: stated,
      prfWraps: [],
      passphraseWrap: null,
      recoveryWrap: null,
    };
    bundle.keySet = await signKeySet(await describeKeySet(source, version), keys.signing.privateKey);
  }
  return bundle;
}

const listed = (ids: string[]): PasskeysResponse => ({
  passkeys: ids.map((id) => ({
    id,
    encryptedLabel: null,
    unlocks: false,
    startedThisSession: false,
    createdAt: new Date(0).toISOString(),
    lastUsedAt: null,
  })),
});

describe('the key set checked on the device', () => {
  it('trusts a key set that verifies and states what the server shows, and remembers its version', async () => {
    const seen = seenVersionsInMemory();
    const check = await checkKeySet(account, await shown(4), passkeys, seen);
    expect(check).toMatchObject({ kind: 'trusted', unnamedPasskeys: [] });
    expect(await seen.highest('key-set', me.id)).toBe(4);
  });

  it('warns in plain words when the server shows an older version than this device saw, and remembers nothing lower', async () => {
    const seen = seenVersionsInMemory();
    await seen.remember('key-set', me.id, 5);
    const check = await checkKeySet(account, await shown(3), passkeys, seen);
    expect(check).toEqual({ kind: 'rolled-back', shown: 3, seen: 5 });
    expect(keySetWarning(check)).toMatch(
      /older version of your account's keys \(version 3, this device has seen version 5\)\. A removed passkey/,
    );
    expect(await seen.highest('key-set', me.id)).toBe(5);
  });

  it('warns when the server shows no key set after this device saw one, and asks for a first one only otherwise', async () => {
    const seen = seenVersionsInMemory();
    expect((await checkKeySet(account, await shown(null), passkeys, seen)).kind).toBe('first-use');
    await seen.remember('key-set', me.id, 2);
    expect(await checkKeySet(account, await shown(null), passkeys, seen)).toEqual({
      kind: 'rolled-back',
      shown: null,
      seen: 2,
    });
  });

  it('names a passkey the server lists that the key set does not', async () => {
    const check = await checkKeySet(account, await shown(2), [...passkeys, 'cred-back'], seenVersionsInMemory());
    expect(check).toMatchObject({ kind: 'trusted', unnamedPasskeys: ['cred-back'] });
  });

  it("refuses a key set signed by any key but the account's own", async () => {
    const server = await person('server');
    const check = await checkKeySet(account, await shown(9, server.keys), passkeys, seenVersionsInMemory());
    expect(check).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/not signed by this account/) });
    expect(keySetWarning(check)).toMatch(/do not match what your account signed/);
  });

  it('builds the next key set on the signed one, never signing in a passkey only the server lists', async () => {
    const bundle = await shown(2);
    const serverSide = async () => ({ bundle, passkeys: listed([...passkeys, 'cred-back']) });
    const next = await nextKeySet(
      account,
      { addPasskey: 'cred-C', prfWrapped: null },
      serverSide,
      seenVersionsInMemory(),
    );
    const { keySet } = readKeySet(next.signed);
    expect(next.version).toBe(3);
    expect(keySet.passkeys.map((passkey) => passkey.credentialId)).toEqual(['cred-A', 'cred-B', 'cred-C']);
  });

  it('refuses to build a change on a key set older than this device saw', async () => {
    const seen = seenVersionsInMemory();
    await seen.remember('key-set', me.id, 5);
    const bundle = await shown(3);
    const change = nextKeySet(
      account,
      { removePasskey: 'cred-A' },
      async () => ({ bundle, passkeys: listed(passkeys) }),
      seen,
    );
    await expect(change).rejects.toThrow(KeySetUntrusted);
    await expect(change).rejects.toThrow(/version 3, this device has seen version 5.*Coffer made no change/);
  });
});
