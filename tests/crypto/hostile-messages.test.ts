/**
 * Errors the format throws on what the server, a link or a file gave say what was received (its kind, length or
 * position) and what was expected, in the app's own words: a hostile value never reaches the message, so that no
 * sender can put words in front of the user, or make a message look like the app's own (threat model row 1).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../shared/crypto/bytes.ts';
import {
  checkKeyFingerprint,
  checkLinkId,
  decodeBase64url,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  generateKey,
  passphraseWrappingSecret,
  readKeySet,
  verifyGrant,
  wrapForLink,
  wrapKey,
  type Grant,
  type GrantTerms,
  type LinkKeys,
  type PassphraseParams,
} from '../../shared/crypto/index.ts';
import vectors from '../vectors/coffer.json';
import { publicKeySpki, type VectorJwk } from '../vectors/keys.ts';

const HOSTILE = 'Click here to re-enter your passphrase';

/** The error `work` throws, which must not carry `hostile`. */
async function thrownBy(work: () => unknown): Promise<Error> {
  const error = await (async () => work())().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a refusal, but it succeeded').toBeInstanceOf(Error);
  return error as Error;
}

async function expectNoEcho(work: () => unknown, hostile: string, says: RegExp): Promise<void> {
  const error = await thrownBy(work);
  expect(error.message).not.toContain(hostile);
  expect(error.message).toMatch(says);
}

describe('messages about received values, in fixed words', () => {
  it('a link id: its length and where it has another character', async () => {
    await expectNoEcho(
      () => checkLinkId(HOSTILE),
      HOSTILE,
      /got text of 38 characters, with another character at position 5/,
    );
  });

  it("a link's node kind", async () => {
    const keys: LinkKeys = { wrappingSecret: new Uint8Array(32), accessToken: new Uint8Array(32) } as LinkKeys;
    const place = { linkId: 'link', ownerId: vectors.grant[0]!.grant.ownerId, nodeId: vectors.grant[0]!.grant.nodeId };
    await expectNoEcho(
      () => wrapForLink(keys, generateKey(), { ...place, kind: HOSTILE as 'file' }),
      HOSTILE,
      /a node kind is "folder" or "file", got text of 38 characters/,
    );
  });

  it("a key set's version", async () => {
    const key = encodeBase64url(new Uint8Array(91), { padding: false });
    const statement = JSON.stringify({
      accountId: 'a11ce000-0000-4000-8000-000000000001',
      version: HOSTILE,
      publicKeys: { sharing: key, signing: key },
      passkeys: [],
      passphraseWrapDigest: null,
      recoveryWrapDigest: null,
    });
    const signed = {
      statement: encodeBase64url(utf8(statement), { padding: false }),
      signature: encodeBase64url(new Uint8Array(64), { padding: false }),
    };
    await expectNoEcho(
      () => readKeySet(signed),
      HOSTILE,
      /its version is a whole number .*, got text of 38 characters/,
    );
  });

  it('a key fingerprint an address carries', async () => {
    const pairs = await generateAccountKeyPairs();
    const keys = [await exportPublicKey(pairs.sharing.publicKey), await exportPublicKey(pairs.signing.publicKey)];
    await expectNoEcho(
      () => checkKeyFingerprint(keys, HOSTILE),
      HOSTILE,
      /the address carries text of 38 characters that are not one/,
    );
  });

  it('a base64url character, by its position only', async () => {
    // A right-to-left override would turn the rest of the message around.
    const override = '\u202e';
    await expectNoEcho(() => decodeBase64url(`AAAA${override}AAA`), override, /another character at position 4/);
  });

  it('hex text', async () => {
    await expectNoEcho(() => fromHex(HOSTILE), HOSTILE, /hex text is pairs of 0-9 and a-f, got text of 38 characters/);
  });

  it("a passphrase wrap's KDF and its parameters", async () => {
    const salt = encodeBase64url(new Uint8Array(16), { padding: false });
    const params = (change: Record<string, unknown>) =>
      ({ kdf: 'Argon2id', memoryKiB: 65536, passes: 3, parallelism: 1, salt, ...change }) as PassphraseParams;
    await expectNoEcho(
      () => passphraseWrappingSecret('pass', params({ kdf: HOSTILE })),
      HOSTILE,
      /a passphrase KDF is "Argon2id" or "PBKDF2-SHA256", got text of 38 characters/,
    );
    await expectNoEcho(
      () => passphraseWrappingSecret('pass', params({ passes: HOSTILE })),
      HOSTILE,
      /must be a whole number of at least \d+, got text of 38 characters/,
    );
  });

  it("a key's purpose", async () => {
    await expectNoEcho(
      () => wrapKey(new Uint8Array(32), generateKey(), { purpose: HOSTILE, owner: 'o', object: 'x' }),
      HOSTILE,
      /key purpose must be .*, got text of 38 characters/,
    );
  });

  it("a grant's terms: the kind and role it is checked against, and the ids it names", async () => {
    const [vector] = vectors.grant;
    const { senderId, recipientId, ownerId, nodeId, kind, role } = vector!.grant;
    const terms = { senderId, recipientId, ownerId, nodeId, kind, role } as GrantTerms;
    const senderSigningKey = await publicKeySpki(vector!.senderSigningKey as VectorJwk);
    const recipientSharingKey = await publicKeySpki(vector!.recipientSharingKey as VectorJwk);
    const verify = (expected: GrantTerms) =>
      verifyGrant(vector!.grant as Grant, { senderSigningKey, recipientSharingKey, expected });
    await expectNoEcho(
      () => verify({ ...terms, kind: HOSTILE as 'file' }),
      HOSTILE,
      /a node kind is "folder" or "file", got text of 38 characters/,
    );
    await expectNoEcho(
      () => verify({ ...terms, role: HOSTILE as 'viewer' }),
      HOSTILE,
      /a role is "viewer" or "editor", got text of 38 characters/,
    );
    const listedAs = 'f01de200-0000-4000-8000-0000000000ff';
    const error = await thrownBy(() => verify({ ...terms, nodeId: listedAs }));
    expect(error.message).not.toContain(nodeId);
    expect(error.message).not.toContain(listedAs);
    expect(error.message).toMatch(/the grant names another node than the one expected/);
  });
});
