/**
 * The account's key set (docs/FORMAT.md section 4.8) as a device reads it from the server: a key set verifies, and
 * reads back as it was signed, for any account, version, keys and ways in; its statement has one form whatever order
 * the passkeys came in, and any other text (a field missing, given twice, of another type or out of order, an id in
 * another spelling) is KEY_SET_MALFORMED; any byte of the signature, a key, a digest, the account or the version
 * altered, or a passkey dropped or added, is KEY_SET_INVALID under the same signature (threat model row 10).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../shared/crypto/bytes.ts';
import { compareCodeUnits } from '../../shared/crypto/code-unit-order.ts';
import {
  bytesToUuid,
  decodeBase64url,
  describeKeySet,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  keySetStatement,
  readKeySet,
  signKeySet,
  uuidToBytes,
  verifyKeySet,
  type KeySet,
  type SignedKeySet,
} from '../../shared/crypto/index.ts';
import { anyBytes, anyUuid, FEW, MANY, mutationOf, refuses, SERVER_TEXT, expectNoServerText } from './arbitraries.ts';

const accountId = 'a11ce000-0000-4000-8000-00000000000e';
const MAX_VERSION = 2 ** 31 - 1;
let signingKey: CryptoKey;
let publicKey: Uint8Array;
let keySet: KeySet;
let signed: SignedKeySet;

beforeAll(async () => {
  const pairs = await generateAccountKeyPairs();
  signingKey = pairs.signing.privateKey;
  publicKey = await exportPublicKey(pairs.signing.publicKey);
  const source = {
    accountId,
    publicKeys: { sharing: await exportPublicKey(pairs.sharing.publicKey), signing: publicKey },
    passkeyIds: ['cred-B', 'cred-A', 'cred-C'],
    prfWraps: [
      { credentialId: 'cred-A', wrapped: 'gAAAAA-prf-wrap-of-A' },
      { credentialId: 'cred-C', wrapped: 'gAAAAA-prf-wrap-of-C' },
    ],
    passphraseWrap: { wrapped: 'gAAAAA-passphrase-wrap' },
    recoveryWrap: { wrapped: 'gAAAAA-recovery-wrap' },
  };
  keySet = await describeKeySet(source, 3);
  signed = await signKeySet(keySet, signingKey);
});

const b64 = (bytes: Uint8Array) => encodeBase64url(bytes, { padding: false });
const verify = (value: unknown) => verifyKeySet(value, accountId, publicKey);
/** `text` as the statement, under the signature of the honest key set. */
const signedAs = (text: string): SignedKeySet => ({ statement: b64(utf8(text)), signature: signed.signature });
/** A changed key set in canonical form, under the signature of the honest one. */
const canonicalUnderSignature = (changed: KeySet) => ({
  statement: b64(keySetStatement(changed)),
  signature: signed.signature,
});
const SLOT = '@slot@';
/** The statement of `value` with the string SLOT in it written as `text`. */
const withText = (value: object, text: string) =>
  signedAs(JSON.stringify(value).replace(JSON.stringify(SLOT), () => text));
type Member = readonly [string, unknown];
/** An object's JSON text from its members in this order, which may give a key twice. */
const objectText = (members: readonly Member[]) =>
  `{${members.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;

const anyDigest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64);
const anyPublicKey = fc.uint8Array({ minLength: 91, maxLength: 91 }).map(b64);
const anyCredentialId = fc.uint8Array({ minLength: 1, maxLength: 64 }).map(b64);
const anyPasskey = fc.record({ credentialId: anyCredentialId, wrapDigest: fc.option(anyDigest) });
const anyKeySet: fc.Arbitrary<KeySet> = fc.record({
  accountId: anyUuid,
  version: fc.integer({ min: 1, max: MAX_VERSION }),
  publicKeys: fc.record({ sharing: anyPublicKey, signing: anyPublicKey }),
  passkeys: fc.uniqueArray(anyPasskey, { selector: (passkey) => passkey.credentialId, maxLength: 5 }),
  passphraseWrapDigest: fc.option(anyDigest),
  recoveryWrapDigest: fc.option(anyDigest),
});
const sortedPasskeys = (value: KeySet): KeySet => ({
  ...value,
  passkeys: [...value.passkeys].sort((a, b) => compareCodeUnits(a.credentialId, b.credentialId)),
});

/** The bytes of unpadded base64url `text` with one byte changed, in the same encoding. */
const flipped = (text: string, decode: (text: string) => Uint8Array, encode: (bytes: Uint8Array) => string) => {
  const bytes = decode(text);
  return fc.record({ at: fc.nat(bytes.length - 1), xor: fc.integer({ min: 1, max: 255 }) }).map(({ at, xor }) => {
    const out = bytes.slice();
    out[at] = out[at]! ^ xor;
    return encode(out);
  });
};
const flippedBase64 = (text: string) => flipped(text, decodeBase64url, b64);

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
/** Any JSON value, some carrying the server's text, of none of the JSON types `kinds`. */
const retyped = (...kinds: string[]) =>
  fc
    .oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(SERVER_TEXT, null),
      fc.jsonValue({ maxDepth: 1 }).map((value) => [SERVER_TEXT, value]),
      fc.jsonValue({ maxDepth: 1 }).map((value) => ({ [SERVER_TEXT]: value })),
    )
    .filter((value) => !kinds.includes(kindOf(value)));

/**
 * The members of an object's JSON text altered as a server could: one left out, one given twice (with its value or
 * another), one of another type, or one added. `types` names the JSON types each member may validly have.
 */
function alteredMembers(value: object, types: Record<string, string[]>): fc.Arbitrary<Member[]> {
  const members: Member[] = Object.entries(value);
  const n = members.length;
  const insert = <T>(list: readonly T[], at: number, item: T) => [...list.slice(0, at), item, ...list.slice(at)];
  return fc.oneof(
    fc.nat(n - 1).map((at) => members.filter((_, i) => i !== at)),
    fc
      .record({ from: fc.nat(n - 1), at: fc.nat(n), other: fc.option(fc.jsonValue({ maxDepth: 1 })) })
      .map(({ from, at, other }) => {
        const [key, original] = members[from]!;
        return insert(members, at, [key, other ?? original] as const);
      }),
    fc
      .nat(n - 1)
      .chain((at) =>
        retyped(...types[members[at]![0]]!).map((other) =>
          members.map((m, i) => (i === at ? ([m[0], other] as const) : m)),
        ),
      ),
    fc
      .record({ at: fc.nat(n), other: fc.jsonValue({ maxDepth: 1 }) })
      .map(({ at, other }) => insert(members, at, [SERVER_TEXT, other] as const)),
  );
}

const DIGEST_TYPES = ['string', 'null'];
const TOP_TYPES: Record<string, string[]> = {
  accountId: ['string'],
  version: ['number'],
  publicKeys: ['object'],
  passkeys: ['array'],
  passphraseWrapDigest: DIGEST_TYPES,
  recoveryWrapDigest: DIGEST_TYPES,
};

describe('key sets, property-tested', () => {
  it('verify, and read back as signed, for any account, version, keys and ways in, sent as JSON', async () => {
    await fc.assert(
      fc.asyncProperty(anyKeySet, async (value) => {
        const made = JSON.parse(JSON.stringify(await signKeySet(value, signingKey))) as SignedKeySet;
        expect(await verifyKeySet(made, value.accountId, publicKey)).toEqual(sortedPasskeys(value));
        expect(readKeySet(made).keySet).toEqual(sortedPasskeys(value));
      }),
      { ...FEW, numRuns: 15 },
    );
  });

  it('sign one statement whatever order the passkeys are given in', async () => {
    const n = keySet.passkeys.length;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(keySet.passkeys, { minLength: n, maxLength: n }), async (passkeys) => {
        const made = await signKeySet({ ...keySet, passkeys }, signingKey);
        expect(made.statement).toBe(signed.statement);
        await verify(made);
      }),
      FEW,
    );
  });

  it('refuse a passkey dropped or added with KEY_SET_INVALID, and one named twice with KEY_SET_MALFORMED', async () => {
    const { passkeys } = keySet;
    const dropped = fc.nat(passkeys.length - 1).map((at) => ({
      value: canonicalUnderSignature({ ...keySet, passkeys: passkeys.filter((_, i) => i !== at) }),
      code: 'KEY_SET_INVALID' as const,
    }));
    const added = anyPasskey
      .filter((passkey) => passkeys.every((p) => p.credentialId !== passkey.credentialId))
      .map((passkey) => ({
        value: canonicalUnderSignature({ ...keySet, passkeys: [...passkeys, passkey] }),
        code: 'KEY_SET_INVALID' as const,
      }));
    const twice = fc
      .record({ from: fc.nat(passkeys.length - 1), at: fc.nat(passkeys.length), wrapDigest: fc.option(anyDigest) })
      .map(({ from, at, wrapDigest }) => {
        const copy = {
          credentialId: passkeys[from]!.credentialId,
          wrapDigest: wrapDigest ?? passkeys[from]!.wrapDigest,
        };
        const listed = [...passkeys.slice(0, at), copy, ...passkeys.slice(at)];
        return { value: signedAs(JSON.stringify({ ...keySet, passkeys: listed })), code: 'KEY_SET_MALFORMED' as const };
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(dropped, added, twice), async ({ value, code }) => {
        await refuses(() => verify(value), [code]);
      }),
      MANY,
    );
  });

  it('refuse any byte of the signature, a key, a digest or the account, or the version, altered with KEY_SET_INVALID', async () => {
    const { passkeys, publicKeys } = keySet;
    const changed = (change: Partial<KeySet>) => canonicalUnderSignature({ ...keySet, ...change });
    const withDigest = passkeys.flatMap((passkey, i) => (passkey.wrapDigest === null ? [] : [i]));
    const altered = fc.oneof(
      flippedBase64(signed.signature).map((signature) => ({ ...signed, signature })),
      fc
        .constantFrom('sharing' as const, 'signing' as const)
        .chain((which) =>
          flippedBase64(publicKeys[which]).map((key) => changed({ publicKeys: { ...publicKeys, [which]: key } })),
        ),
      fc
        .constantFrom(...withDigest)
        .chain((at) =>
          flippedBase64(passkeys[at]!.wrapDigest!).map((wrapDigest) =>
            changed({ passkeys: passkeys.map((p, i) => (i === at ? { ...p, wrapDigest } : p)) }),
          ),
        ),
      flippedBase64(keySet.passphraseWrapDigest!).map((digest) => changed({ passphraseWrapDigest: digest })),
      flippedBase64(keySet.recoveryWrapDigest!).map((digest) => changed({ recoveryWrapDigest: digest })),
      flipped(accountId, uuidToBytes, bytesToUuid).map((id) => changed({ accountId: id })),
      fc
        .integer({ min: 1, max: MAX_VERSION })
        .filter((version) => version !== keySet.version)
        .map((version) => changed({ version })),
    );
    await fc.assert(
      fc.asyncProperty(altered, async (value) => {
        await refuses(() => verify(value), ['KEY_SET_INVALID']);
      }),
      MANY,
    );
  });

  it('refuse a statement with any byte altered, cut or added with KEY_SET_MALFORMED or KEY_SET_INVALID', async () => {
    const statement = decodeBase64url(signed.statement);
    await fc.assert(
      fc.asyncProperty(mutationOf(statement), async (bytes) => {
        await refuses(() => verify({ ...signed, statement: b64(bytes) }), ['KEY_SET_MALFORMED', 'KEY_SET_INVALID']);
      }),
      MANY,
    );
  });

  it('refuse anything but a canonical statement and a 64-byte signature with KEY_SET_MALFORMED', async () => {
    const { passkeys, publicKeys } = keySet;
    const n = passkeys.length;
    const shapes = fc.oneof(
      fc.anything(),
      fc.constantFrom('statement', 'signature').map((field) => ({ ...signed, [field]: undefined })),
      fc
        .constantFrom('statement', 'signature')
        .chain((field) => retyped().map((other) => ({ ...signed, [field]: other }))),
      mutationOf(decodeBase64url(signed.signature))
        .filter((bytes) => bytes.length !== 64)
        .map((bytes) => ({ ...signed, signature: b64(bytes) })),
      anyBytes().map((bytes) => ({ ...signed, statement: b64(bytes) })),
      alteredMembers(keySet, TOP_TYPES).map((members) => signedAs(objectText(members))),
      alteredMembers(publicKeys, { sharing: ['string'], signing: ['string'] }).map((members) =>
        withText({ ...keySet, publicKeys: SLOT }, objectText(members)),
      ),
      fc
        .nat(n - 1)
        .chain((at) =>
          fc
            .oneof(fc.constant(null), retyped('object'))
            .map((other) =>
              withText({ ...keySet, passkeys: passkeys.map((p, i) => (i === at ? SLOT : p)) }, JSON.stringify(other)),
            ),
        ),
      fc
        .nat(n - 1)
        .chain((at) =>
          alteredMembers(passkeys[at]!, { credentialId: ['string'], wrapDigest: DIGEST_TYPES }).map((members) =>
            withText({ ...keySet, passkeys: passkeys.map((p, i) => (i === at ? SLOT : p)) }, objectText(members)),
          ),
        ),
      fc
        .shuffledSubarray(passkeys, { minLength: n, maxLength: n })
        .filter((shuffled) => shuffled.some((p, i) => p !== passkeys[i]))
        .map((shuffled) => signedAs(JSON.stringify({ ...keySet, passkeys: shuffled }))),
      fc
        .constantFrom(accountId.toUpperCase(), accountId.replaceAll('-', ''), `{${accountId}}`, ` ${accountId}`)
        .map((id) => signedAs(JSON.stringify({ ...keySet, accountId: id }))),
      fc
        .oneof(
          fc.integer({ max: 0 }),
          fc.maxSafeNat().map((extra) => MAX_VERSION + 1 + extra),
          fc.double().filter((version) => !Number.isInteger(version)),
        )
        .map((version) => signedAs(JSON.stringify({ ...keySet, version }))),
      fc.constantFrom(1, 2, '\t', ' ').map((space) => signedAs(JSON.stringify(keySet, null, space))),
    );
    await fc.assert(
      fc.asyncProperty(shapes, async (value) => {
        await refuses(() => verify(value), ['KEY_SET_MALFORMED']);
      }),
      MANY,
    );
  });
  it("repeat none of the server's text, whichever field carries it", async () => {
    const carrying = (original: unknown) =>
      fc.constantFrom(SERVER_TEXT, [SERVER_TEXT], { [SERVER_TEXT]: SERVER_TEXT }, `${String(original)}${SERVER_TEXT}`);
    /** The honest key set with the value at `path` replaced. */
    const replaced = (path: readonly (string | number)[], value: unknown) => {
      const copy = structuredClone(keySet) as unknown as Record<string | number, Record<string | number, unknown>>;
      let parent: Record<string | number, unknown> = copy;
      for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
      parent[path.at(-1)!] = value;
      return copy;
    };
    const PATHS = [
      ['accountId'],
      ['version'],
      ['publicKeys'],
      ['publicKeys', 'sharing'],
      ['publicKeys', 'signing'],
      ['passkeys'],
      ['passkeys', 1],
      ['passkeys', 1, 'credentialId'],
      ['passkeys', 0, 'wrapDigest'],
      ['passphraseWrapDigest'],
      ['recoveryWrapDigest'],
    ] as const;
    const hostileKeySets = fc.oneof(
      fc
        .constantFrom(...PATHS)
        .chain((path) =>
          carrying(
            path.reduce<unknown>((value, step) => (value as Record<string | number, unknown>)[step], keySet),
          ).map((value) => signedAs(JSON.stringify(replaced(path, value)))),
        ),
      fc
        .constantFrom('statement' as const, 'signature' as const)
        .chain((field) => carrying(signed[field]).map((value) => ({ ...signed, [field]: value }))),
    );
    await fc.assert(
      fc.asyncProperty(hostileKeySets, async (value) => {
        const error = await refuses(() => verify(value), ['KEY_SET_MALFORMED']);
        expectNoServerText(error.message);
      }),
      MANY,
    );
  });
});
