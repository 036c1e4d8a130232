/**
 * The account's key set (docs/FORMAT.md section 4.8): a new account's version 1, and a later version with a passkey
 * that only signs in and a passphrase; each with the statement, the signed bytes and a signature, and statements a
 * reader must refuse under that signature.
 */
import { toHex } from '../../shared/crypto/bytes.ts';
import {
  describeKeySet,
  encodeBase64url,
  keySetSignedBytes,
  keySetStatement,
  signKeySet,
  type KeySet,
} from '../../shared/crypto/index.ts';
import { keyPairFromJwk, publicKeySpki, type VectorJwk } from '../../tests/vectors/keys.ts';
import { deterministicRandom, seededJwk } from './deterministic.ts';
import { keptSignature } from './kept-signature.ts';

export interface KeySetVector {
  name: string;
  signingKey: VectorJwk;
  keySet: KeySet;
  /** base64url (unpadded) of the statement's UTF-8 JSON. */
  statement: string;
  signedBytes: string;
  signature: string;
  /**
   * Statements a reader refuses, and the code it refuses them with: under the vector's signature, or under their own
   * `signature` when the signing key did sign them (another account's key set, which verifies but is not this one's).
   */
  refused: { name: string; statement: string; signature?: string; code: 'KEY_SET_INVALID' | 'KEY_SET_MALFORMED' }[];
}

const b64 = (bytes: Uint8Array) => encodeBase64url(bytes, { padding: false });
const ACCOUNT = 'c0ffee00-0000-4000-8000-0000000000aa';
const OTHER_ACCOUNT = 'c0ffee00-0000-4000-8000-0000000000bb';
const SIGNED_FOR_ANOTHER = "another account's, signed by the key";

export async function keySetVectors(previous: KeySetVector[] | undefined): Promise<KeySetVector[]> {
  const vectors: KeySetVector[] = [];
  for (const [name, version] of [
    ['sign-up', 1],
    ['after-changes', 5],
  ] as const) {
    const { random } = deterministicRandom(`coffer key set vector ${name}`);
    const signingKey = seededJwk(`coffer key set vector ${name} signing key`);
    const sharingKey = seededJwk(`coffer key set vector ${name} sharing key`);
    const token = () => b64(random(105));
    const credential = () => b64(random(16));
    const first = credential();
    const second = credential();
    const keySet = await describeKeySet(
      {
        accountId: ACCOUNT,
        publicKeys: { sharing: await publicKeySpki(sharingKey), signing: await publicKeySpki(signingKey) },
        passkeyIds: version === 1 ? [first] : [first, second],
        prfWraps: [{ credentialId: first, wrapped: token() }],
        passphraseWrap: version === 1 ? null : { wrapped: token() },
        recoveryWrap: { wrapped: token() },
      },
      version,
    );
    const statement = keySetStatement(keySet);
    const signedBytes = keySetSignedBytes(statement);
    const pair = await keyPairFromJwk(signingKey, 'ECDSA');
    const before = previous?.find((vector) => vector.name === name);
    const signature = await keptSignature(
      before,
      signedBytes,
      pair.publicKey,
      async () => (await signKeySet(keySet, pair.privateKey)).signature,
    );
    const altered = (change: Partial<KeySet>) => b64(keySetStatement({ ...keySet, ...change }));
    const foreign = { ...keySet, accountId: OTHER_ACCOUNT };
    const foreignBytes = keySetSignedBytes(keySetStatement(foreign));
    const foreignBefore = before?.refused.find((refused) => refused.name === SIGNED_FOR_ANOTHER);
    const foreignSignature = await keptSignature(
      foreignBefore?.signature ? { signedBytes: toHex(foreignBytes), signature: foreignBefore.signature } : undefined,
      foreignBytes,
      pair.publicKey,
      async () => (await signKeySet(foreign, pair.privateKey)).signature,
    );
    vectors.push({
      name,
      signingKey,
      keySet,
      statement: b64(statement),
      signedBytes: toHex(signedBytes),
      signature,
      refused: [
        { name: 'the version changed', statement: altered({ version: version + 1 }), code: 'KEY_SET_INVALID' },
        {
          name: 'a passkey dropped',
          statement: altered({ passkeys: keySet.passkeys.slice(1) }),
          code: 'KEY_SET_INVALID',
        },
        {
          name: 'another account',
          statement: altered({ accountId: OTHER_ACCOUNT }),
          code: 'KEY_SET_INVALID',
        },
        // Well formed and signed by the key: refused as not this account's (KEY_SET_INVALID), not as malformed.
        {
          name: SIGNED_FOR_ANOTHER,
          statement: b64(keySetStatement(foreign)),
          signature: foreignSignature,
          code: 'KEY_SET_INVALID',
        },
        {
          name: 'not canonical',
          statement: b64(new TextEncoder().encode(JSON.stringify(keySet, null, 1))),
          code: 'KEY_SET_MALFORMED',
        },
      ],
    });
  }
  return vectors;
}
