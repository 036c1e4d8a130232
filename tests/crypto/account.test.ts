import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  decryptPasskeyLabel,
  encryptPasskeyLabel,
  exportPublicKey,
  FINGERPRINT_WORDS,
  fingerprintWords,
  formatRecoveryCode,
  generateAccountKeyPairs,
  generateMasterKey,
  generateRecoveryKey,
  MIN_PASSPHRASE_ITERATIONS,
  newPassphraseParams,
  parseRecoveryCode,
  passphraseWrappingSecret,
  prfInput,
  prfWrappingSecret,
  recoveryVerifier,
  recoveryWrappingSecret,
  unwrapMasterKey,
  unwrapPrivateKey,
  wrapMasterKey,
  wrapPrivateKey,
  WORDLIST,
} from '../../shared/crypto/index.ts';
import { expectBytes, expectCode } from './assertions.ts';

const alice = '6f9a1c3e-1111-4a4a-8b8b-000000000001';
const bob = '6f9a1c3e-2222-4a4a-8b8b-000000000002';
const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);

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

  it('wraps the master key under a passphrase, and refuses parameters below the minimum', async () => {
    const master = generateMasterKey();
    const params = newPassphraseParams();
    expect(params.iterations).toBeGreaterThanOrEqual(MIN_PASSPHRASE_ITERATIONS);
    const secret = await passphraseWrappingSecret('correct horse battery staple', params);
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
    // Composed and decomposed accents are the same passphrase.
    expectBytes(
      await passphraseWrappingSecret('caf\u00e9 au lait', params),
      await passphraseWrappingSecret('cafe\u0301 au lait', params),
    );
    await expectCode(
      unwrapMasterKey(await passphraseWrappingSecret('wrong', params), wrapped, alice, 'passphrase'),
      'WRAPPED_KEY_INVALID',
    );
    // A server offering fewer iterations to make guessing cheaper is refused.
    await expectCode(passphraseWrappingSecret('x', { ...params, iterations: 1000 }), 'WEAK_PARAMETERS');
    await expectCode(passphraseWrappingSecret('x', { ...params, salt: 'AAAA' }), 'WEAK_PARAMETERS');
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
});
