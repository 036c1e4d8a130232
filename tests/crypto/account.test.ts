import { describe, expect, it } from 'vitest';
import {
  ARGON2ID_BOUNDS,
  decodeBase64url,
  decryptPasskeyLabel,
  encodeBase64url,
  encryptPasskeyLabel,
  exportPublicKey,
  FINGERPRINT_WORDS,
  fingerprintWords,
  formatRecoveryCode,
  generateAccountKeyPairs,
  generateMasterKey,
  generateRecoveryKey,
  MAX_PASSPHRASE_ITERATIONS,
  MIN_PASSPHRASE_ITERATIONS,
  newPassphraseParams,
  parseRecoveryCode,
  passphraseWrappingSecret,
  prfInput,
  prfWrappingSecret,
  recoveryVerifier,
  recoveryWrappingSecret,
  unwrapKey,
  unwrapMasterKey,
  unwrapPrivateKey,
  wrapKey,
  wrapMasterKey,
  wrapPrivateKey,
  WORDLIST,
  type Argon2idParams,
  type PassphraseParams,
} from '../../shared/crypto/index.ts';
import { fromHex, toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { expectBytes, expectCode } from './assertions.ts';

const alice = '6f9a1c3e-1111-4a4a-8b8b-000000000001';
const bob = '6f9a1c3e-2222-4a4a-8b8b-000000000002';
const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);
const salt16 = encodeBase64url(bytes(16, 9), { padding: false });
const argon2 = (change: Record<string, unknown>) =>
  ({ ...newPassphraseParams(), ...change }) as unknown as Argon2idParams;

describe('account keys', () => {
  it('wraps the master key under a passkey PRF output and a per-credential salt', async () => {
    const master = generateMasterKey();
    const prf = bytes(32, 7);
    const secret = await prfWrappingSecret(prf, bytes(32, 1));
    const wrapped = await wrapMasterKey(secret, master, alice, { passkey: 'cred-1' });
    expectBytes(await unwrapMasterKey(secret, wrapped, alice, { passkey: 'cred-1' }), master);
    // Another salt, account or passkey: refused alike.
    await expectCode(
      unwrapMasterKey(await prfWrappingSecret(prf, bytes(32, 2)), wrapped, alice, { passkey: 'cred-1' }),
      'WRAPPED_KEY_INVALID',
    );
    await expectCode(unwrapMasterKey(secret, wrapped, bob, { passkey: 'cred-1' }), 'WRAPPED_KEY_INVALID');
    await expectCode(unwrapMasterKey(secret, wrapped, alice, { passkey: 'cred-2' }), 'WRAPPED_KEY_INVALID');
    await expectCode(unwrapMasterKey(secret, wrapped, alice, 'recovery'), 'WRAPPED_KEY_INVALID');
  });

  it('asks every passkey for its PRF on one constant input', async () => {
    const input = await prfInput();
    expect(input.length).toBe(32);
    expectBytes(await prfInput(), input);
    await expectCode(prfWrappingSecret(bytes(16, 1), bytes(32, 1)), 'BAD_ARGUMENT');
  });

  it('wraps the master key under a passphrase with Argon2id, 64 MiB, 3 passes, 1 lane and a 16-byte salt', async () => {
    const params = newPassphraseParams();
    expect({ ...params, salt: decodeBase64url(params.salt).length }).toEqual({
      kdf: 'Argon2id',
      memoryKiB: 65536,
      passes: 3,
      parallelism: 1,
      salt: 16,
    });
    expect(newPassphraseParams().salt).not.toBe(params.salt);
    const master = generateMasterKey();
    const secret = await passphraseWrappingSecret('correct horse battery staple', params);
    expect(secret.length).toBe(32);
    const wrapped = await wrapMasterKey(secret, master, alice, 'passphrase');
    expectBytes(
      await unwrapMasterKey(
        await passphraseWrappingSecret('correct horse battery staple', params),
        wrapped,
        alice,
        'passphrase',
      ),
      master,
    );
    // Composed and decomposed accents are the same passphrase; another passphrase does not unwrap. (At the floor's
    // parameters, to keep the test short.)
    const floor = argon2({ memoryKiB: ARGON2ID_BOUNDS.memoryKiB.min, passes: 2 });
    expectBytes(
      await passphraseWrappingSecret('caf\u00e9 au lait', floor),
      await passphraseWrappingSecret('cafe\u0301 au lait', floor),
    );
    const underFloor = await wrapMasterKey(await passphraseWrappingSecret('right', floor), master, alice, 'passphrase');
    await expectCode(
      unwrapMasterKey(await passphraseWrappingSecret('wrong', floor), underFloor, alice, 'passphrase'),
      'WRAPPED_KEY_INVALID',
    );
  });

  it('still unlocks PBKDF2 wraps of at least 600,000 iterations, and refuses fewer or a hanging count', async () => {
    const params: PassphraseParams = { kdf: 'PBKDF2-SHA256', iterations: MIN_PASSPHRASE_ITERATIONS, salt: salt16 };
    const master = generateMasterKey();
    const wrapped = await wrapMasterKey(await passphraseWrappingSecret('x', params), master, alice, 'passphrase');
    expectBytes(
      await unwrapMasterKey(await passphraseWrappingSecret('x', params), wrapped, alice, 'passphrase'),
      master,
    );
    // A server offering fewer iterations to make guessing cheaper is refused, and so is one that would hang the page.
    await expectCode(passphraseWrappingSecret('x', { ...params, iterations: 599_999 }), 'WEAK_PARAMETERS');
    await expectCode(
      passphraseWrappingSecret('x', { ...params, iterations: MAX_PASSPHRASE_ITERATIONS + 1 }),
      'PARAMETERS_TOO_COSTLY',
    );
    await expectCode(passphraseWrappingSecret('x', { ...params, salt: 'AAAA' }), 'WEAK_PARAMETERS');
  });

  const mib = 1024;
  const weak: [string, Record<string, unknown>][] = [
    ['memory below 19 MiB', { memoryKiB: 19 * mib - 1 }],
    ['19 MiB with one pass (below 19 MiB × 2 of work)', { memoryKiB: 19 * mib, passes: 1 }],
    ['no passes', { passes: 0 }],
    ['no lanes', { parallelism: 0 }],
    ['a fractional memory', { memoryKiB: 65536.5 }],
    ['a memory given as text', { memoryKiB: '65536' }],
    ['a missing passes', { passes: undefined }],
    ['a 15-byte salt', { salt: encodeBase64url(new Uint8Array(15)) }],
    ['no salt', { salt: undefined }],
    ['another KDF', { kdf: 'scrypt' }],
  ];
  it.each(weak)('refuses Argon2id parameters below the floor: %s', async (_, change) => {
    await expectCode(passphraseWrappingSecret('x', argon2(change)), 'WEAK_PARAMETERS');
  });

  const costly: [string, Record<string, unknown>][] = [
    ['memory above 1 GiB', { memoryKiB: 1024 * mib + 1, passes: 1 }],
    ['1 GiB with three passes (above 2 GiB × passes of work)', { memoryKiB: 1024 * mib, passes: 3 }],
    ['eleven passes', { passes: 11 }],
    ['five lanes', { parallelism: 5 }],
    ['a memory of 2^40 KiB', { memoryKiB: 2 ** 40 }],
  ];
  it.each(costly)('refuses Argon2id parameters above the ceiling before any work: %s', async (_, change) => {
    // The code is the check's own: computed, each would either succeed after seconds or fail in the library.
    await expectCode(passphraseWrappingSecret('x', argon2(change)), 'PARAMETERS_TOO_COSTLY');
  });

  it('accepts the floor itself, with one lane or four', async () => {
    const floor = { memoryKiB: ARGON2ID_BOUNDS.memoryKiB.min, passes: 2 };
    expect(floor.memoryKiB * floor.passes).toBe(ARGON2ID_BOUNDS.work.min);
    const oneLane = await passphraseWrappingSecret('x', argon2({ ...floor, parallelism: 1 }));
    const fourLanes = await passphraseWrappingSecret(
      'x',
      argon2({ ...floor, parallelism: ARGON2ID_BOUNDS.parallelism.max }),
    );
    expect([oneLane.length, fourLanes.length]).toEqual([32, 32]);
    expect(toHex(oneLane)).not.toBe(toHex(fourLanes));
  });

  it('writes the recovery key as a code people can copy, and reads it back however they typed it', () => {
    const key = generateRecoveryKey();
    const code = formatRecoveryCode(key);
    expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/);
    expectBytes(parseRecoveryCode(code), key);
    expectBytes(parseRecoveryCode(code.toLowerCase().replaceAll('-', ' ')), key);
    expectBytes(parseRecoveryCode(code.replaceAll('0', 'O').replaceAll('1', 'l')), key);
    expect(formatRecoveryCode(bytes(32, 0))).toBe('0000-'.repeat(12) + '0000');
    expect(() => parseRecoveryCode(code.slice(0, -1))).toThrow(/52 letters and digits/);
    expect(() => parseRecoveryCode(code.slice(0, -1) + 'U')).toThrow(/52 letters and digits/);
  });

  it('derives from the recovery key a wrap secret and a verifier that are unrelated', async () => {
    const key = generateRecoveryKey();
    const verifier = await recoveryVerifier(key);
    expectBytes(await recoveryVerifier(key), verifier);
    const secret = await recoveryWrappingSecret(key, bytes(32, 3));
    expect(verifier.length).toBe(32);
    expect(secret.some((byte, i) => byte !== verifier[i])).toBe(true);
    const master = generateMasterKey();
    const wrapped = await wrapMasterKey(secret, master, alice, 'recovery');
    expectBytes(await unwrapMasterKey(secret, wrapped, alice, 'recovery'), master);
    await expectCode(unwrapMasterKey(verifier, wrapped, alice, 'recovery'), 'WRAPPED_KEY_INVALID');
  });

  it('wraps the sharing and signing private keys under the master key, bound to the account', async () => {
    const master = generateMasterKey();
    const mine = await generateAccountKeyPairs();
    const theirs = await generateAccountKeyPairs();
    expect((await exportPublicKey(mine.sharing.publicKey)).length).toBe(91);
    expect((await exportPublicKey(mine.signing.publicKey)).length).toBe(91);
    const wrappedSharing = await wrapPrivateKey(master, mine.sharing.privateKey, alice, 'sharing');
    const wrappedSigning = await wrapPrivateKey(master, mine.signing.privateKey, alice, 'signing');

    const sharing = await unwrapPrivateKey(master, wrappedSharing, alice, 'sharing');
    const agreed = await crypto.subtle.deriveBits({ name: 'ECDH', public: theirs.sharing.publicKey }, sharing, 256);
    const expected = await crypto.subtle.deriveBits(
      { name: 'ECDH', public: mine.sharing.publicKey },
      theirs.sharing.privateKey,
      256,
    );
    expectBytes(new Uint8Array(agreed), new Uint8Array(expected));

    const signing = await unwrapPrivateKey(master, wrappedSigning, alice, 'signing');
    const message = new TextEncoder().encode('folder listing v7');
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signing, message);
    expect(
      await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, mine.signing.publicKey, signature, message),
    ).toBe(true);

    await expectCode(unwrapPrivateKey(master, wrappedSharing, alice, 'signing'), 'WRAPPED_KEY_INVALID');
    await expectCode(unwrapPrivateKey(master, wrappedSigning, bob, 'signing'), 'WRAPPED_KEY_INVALID');
    expect(decodeBase64url(wrappedSharing).length).toBeGreaterThan(138);
  });
});

describe('passphrase vectors (docs/FORMAT.md section 4.1)', () => {
  it.each(vectors.passphrase)('derives the wrapping secret of $name and unwraps its master key', async (vector) => {
    expect(toHex(new TextEncoder().encode(vector.passphrase.normalize('NFC')))).toBe(vector.passphraseNfcUtf8);
    const secret = await passphraseWrappingSecret(vector.passphrase, vector.params as PassphraseParams);
    expect(toHex(secret)).toBe(vector.wrappingSecret);
    expect(encodeBase64url(await unwrapMasterKey(secret, vector.wrapped, vector.owner, 'passphrase'))).toBe(
      vector.masterKey,
    );
    const wrapped = await wrapKey(secret, decodeBase64url(vector.masterKey), vector, {
      iv: fromHex(vector.iv),
      timestamp: vector.timestamp,
    });
    expect(wrapped).toBe(vector.wrapped);
  });
});

describe('key fingerprints', () => {
  it('reads twelve words from a list of 256 distinct words', async () => {
    expect(new Set(WORDLIST).size).toBe(256);
    expect(WORDLIST.every((word) => /^[a-z]{3,10}$/.test(word))).toBe(true);
    const pairs = await generateAccountKeyPairs();
    const keys = [await exportPublicKey(pairs.sharing.publicKey), await exportPublicKey(pairs.signing.publicKey)];
    const words = await fingerprintWords(keys);
    expect(words).toHaveLength(FINGERPRINT_WORDS);
    expect(words.every((word) => WORDLIST.includes(word))).toBe(true);
    expect(await fingerprintWords(keys)).toEqual(words);
  });

  it('changes with any key, and with their order', async () => {
    const a = bytes(91, 1);
    const b = bytes(91, 2);
    const base = await fingerprintWords([a, b]);
    expect(await fingerprintWords([b, a])).not.toEqual(base);
    expect(await fingerprintWords([a, bytes(91, 3)])).not.toEqual(base);
    // Length prefixes: moving a byte from one key to the other is a different input.
    expect(await fingerprintWords([a.subarray(1), new Uint8Array([1, ...b])])).not.toEqual(base);
  });
});

describe('passkey names', () => {
  it('are readable only with the master key, and only for the passkey they were made for', async () => {
    const master = generateMasterKey();
    const encrypted = await encryptPasskeyLabel(master, alice, 'cred-1', '  Work laptop  ');
    expect(await decryptPasskeyLabel(master, alice, 'cred-1', encrypted)).toBe('Work laptop');
    await expectCode(decryptPasskeyLabel(master, alice, 'cred-2', encrypted), 'WRAPPED_KEY_INVALID');
    await expectCode(decryptPasskeyLabel(generateMasterKey(), alice, 'cred-1', encrypted), 'WRAPPED_KEY_INVALID');
    await expectCode(encryptPasskeyLabel(master, alice, 'cred-1', 'x'.repeat(65)), 'BAD_ARGUMENT');
  });

  it('are sealed texts in the wrap format (FORMAT.md section 4), never keys', async () => {
    const master = generateMasterKey();
    const binding = { purpose: 'passkey-label', owner: alice, object: 'cred-1' };
    // A name sealed as the format describes it, with the name's UTF-8 where a key would be, opens as that name.
    const spelledOut = await wrapKey(master, new TextEncoder().encode('Téléphone'), binding);
    expect(await decryptPasskeyLabel(master, alice, 'cred-1', spelledOut)).toBe('Téléphone');
    // And a sealed name never unwraps as a key: its purpose names no key.
    const sealed = await encryptPasskeyLabel(master, alice, 'cred-1', 'Work laptop');
    for (const purpose of ['master-key', 'file-key', 'folder-key', 'sharing-private-key', 'signing-private-key']) {
      await expectCode(unwrapKey(master, sealed, { ...binding, purpose }), 'WRAPPED_KEY_INVALID');
    }
  });
});
