/**
 * The account layer's vectors (docs/FORMAT.md section 4.7): one account's master key wrapped for a passkey's PRF
 * output, a passphrase and a recovery code, its private keys wrapped under the master key, their public keys and
 * fingerprint, recovery codes as people type them, and the texts sealed under the master key.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../shared/crypto/bytes.ts';
import {
  DEFAULT_ARGON2ID,
  encodeBase64url,
  fingerprintText,
  fingerprintWords,
  formatRecoveryCode,
  KEY_PURPOSES,
  passphraseWrappingSecret,
  prfInput,
  prfWrappingSecret,
  recoveryVerifier,
  recoveryWrappingSecret,
  SEALED_TEXT_PURPOSES,
  wrapKey,
  type Argon2idParams,
  type KeyBinding,
} from '../../shared/crypto/index.ts';
import { keyPairFromJwk, publicKeySpki } from '../../tests/vectors/keys.ts';
import { deterministicRandom, seededJwk, TIMESTAMP } from './deterministic.ts';
import { sealedTextVector } from './sealed-text-vector.ts';

const USER_ID = 'c0ffee00-0000-4000-8000-0000000000aa';
const b64 = (bytes: Uint8Array) => encodeBase64url(bytes, { padding: false });
const masterKeyBinding = (object: string): KeyBinding => ({ purpose: KEY_PURPOSES.masterKey, owner: USER_ID, object });

export async function accountVectors() {
  const { random } = deterministicRandom('coffer account vector');
  const masterKey = random(32);
  const wrapUnder = async (secret: Uint8Array, key: Uint8Array, binding: KeyBinding) => {
    const iv = random(16);
    return { iv: toHex(iv), wrapped: await wrapKey(secret, key, binding, { iv, timestamp: TIMESTAMP }) };
  };

  const credentialId = b64(random(16));
  const prfOutput = random(32);
  const prfSalt = random(32);
  const prfSecret = await prfWrappingSecret(prfOutput, prfSalt);
  const passkey = {
    credentialId,
    prfInput: toHex(await prfInput()),
    prfOutput: toHex(prfOutput),
    salt: b64(prfSalt),
    wrappingSecret: toHex(prfSecret),
    ...(await wrapUnder(prfSecret, masterKey, masterKeyBinding(`passkey:${credentialId}`))),
  };

  const text = 'Tre\u0300s long passphrase, 1987';
  const params: Argon2idParams = { kdf: 'Argon2id', ...DEFAULT_ARGON2ID, salt: b64(random(16)) };
  const passphraseSecret = await passphraseWrappingSecret(text, params);
  const passphrase = {
    passphrase: text,
    params,
    wrappingSecret: toHex(passphraseSecret),
    ...(await wrapUnder(passphraseSecret, masterKey, masterKeyBinding('passphrase'))),
  };

  const recoveryKey = random(32);
  const recoverySalt = random(32);
  const code = formatRecoveryCode(recoveryKey);
  const recoverySecret = await recoveryWrappingSecret(recoveryKey, recoverySalt);
  const verifier = await recoveryVerifier(recoveryKey);
  const recovery = {
    recoveryKey: toHex(recoveryKey),
    code,
    /** The same code as people type it: lower case, spaces, O for 0 and I or L for 1. */
    typed: [
      code.toLowerCase(),
      code.replace(/-/g, ' '),
      code.replace(/-/g, ''),
      code.replace(/0/g, 'O').replace(/1/g, 'l'),
      ` ${code.replace(/1/g, 'i')} `,
      withUnusedBitsSet(code),
    ],
    refused: [code.slice(0, -1), `${code}0`, code.replace(/^./, 'U'), code.replace(/^./, '*')],
    salt: b64(recoverySalt),
    wrappingSecret: toHex(recoverySecret),
    verifier: b64(verifier),
    verifierHash: createHash('sha256').update(verifier).digest('hex'),
    ...(await wrapUnder(recoverySecret, masterKey, masterKeyBinding('recovery'))),
  };

  const privateKeys: Record<string, unknown> = {};
  const publicKeys: Record<string, string> = {};
  const spkis: Uint8Array[] = [];
  for (const [purpose, algorithm, keyPurpose] of [
    ['sharing', 'ECDH', KEY_PURPOSES.sharingPrivateKey],
    ['signing', 'ECDSA', KEY_PURPOSES.signingPrivateKey],
  ] as const) {
    const jwk = seededJwk(`coffer account vector ${purpose} key`);
    const pair = await keyPairFromJwk(jwk, algorithm);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    const spki = await publicKeySpki(jwk);
    spkis.push(spki);
    publicKeys[purpose] = b64(spki);
    privateKeys[purpose] = {
      jwk,
      pkcs8: toHex(pkcs8),
      ...(await wrapUnder(masterKey, pkcs8, { purpose: keyPurpose, owner: USER_ID, object: USER_ID })),
    };
  }

  return [
    {
      name: 'account',
      userId: USER_ID,
      masterKey: encodeBase64url(masterKey),
      timestamp: TIMESTAMP,
      passkey,
      passphrase,
      recovery,
      privateKeys,
      publicKeys,
      fingerprint: await fingerprintText(spkis),
      fingerprintWords: await fingerprintWords(spkis),
    },
  ];
}

/**
 * 52 characters carry 260 bits: the last character's low four bits are not part of the key, and a reader ignores
 * them, so a code with them set reads as the same key.
 */
function withUnusedBitsSet(code: string): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const last = alphabet.indexOf(code.at(-1)!);
  return code.slice(0, -1) + alphabet[last | 0b01111]!;
}

type AccountVector = Awaited<ReturnType<typeof accountVectors>>[number];

/** A passkey's name and a link's label, sealed under the account vector's master key (docs/FORMAT.md section 4). */
export async function accountSealedTexts(account: AccountVector) {
  const { random } = deterministicRandom('coffer sealed text vector account');
  const masterKey = Uint8Array.from(Buffer.from(account.masterKey, 'base64url'));
  const cases = [
    {
      name: 'passkey-label',
      purpose: SEALED_TEXT_PURPOSES.passkeyLabel,
      object: account.passkey.credentialId,
      text: 'Ana’s phone',
    },
    {
      name: 'link-label',
      purpose: SEALED_TEXT_PURPOSES.linkLabel,
      object: 'c0ffee00-0000-4000-8000-00000000110c',
      text: 'For the accountant — taxes 2026',
    },
  ];
  const out = [];
  for (const { name, purpose, object, text } of cases) {
    const iv = random(16);
    const binding = { purpose, owner: account.userId, object };
    out.push(await sealedTextVector(name, masterKey, binding, text, iv));
  }
  return out;
}
