import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  generateNodeKey,
  grantSignedBytes,
  makeGrant,
  openGrant,
  type Grant,
  type GrantTerms,
} from '../../shared/crypto/index.ts';
import { fromHex, toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { keyPairFromJwk, publicKeySpki, type VectorJwk } from '../vectors/keys.ts';
import { expectBytes, expectCode } from './assertions.ts';

const alice = 'a11ce000-0000-4000-8000-000000000001';
const bob = 'b0b00000-0000-4000-8000-000000000002';
const carol = 'ca201000-0000-4000-8000-000000000003';
const folder = 'f01de200-0000-4000-8000-000000000004';
const otherFolder = 'f01de200-0000-4000-8000-000000000005';

describe('grant vectors (FORMAT.md section 4.3)', () => {
  async function load(vector: (typeof vectors.grant)[number]) {
    const recipient = await keyPairFromJwk(vector.recipientSharingKey as VectorJwk, 'ECDH');
    const recipientPublicKey = await publicKeySpki(vector.recipientSharingKey as VectorJwk);
    const sender = await keyPairFromJwk(vector.senderSigningKey as VectorJwk, 'ECDSA');
    const senderPublicKey = await exportPublicKey(sender.publicKey);
    const { senderId, recipientId, ownerId, nodeId, kind, role } = vector.grant;
    const terms = { senderId, recipientId, ownerId, nodeId, kind, role } as GrantTerms;
    return { recipient, recipientPublicKey, sender, senderPublicKey, terms };
  }

  it.each(vectors.grant)('opens $name with the recipient key, after checking the signature', async (vector) => {
    const { recipient, recipientPublicKey, senderPublicKey, terms } = await load(vector);
    const nodeKey = await openGrant(vector.grant as Grant, {
      senderSigningKey: senderPublicKey,
      recipientSharingKey: { privateKey: recipient.privateKey, publicKey: recipientPublicKey },
      expected: terms,
    });
    expect(encodeBase64url(nodeKey)).toBe(vector.nodeKey);
  });

  it.each(vectors.grant)('makes $name to exactly the same bytes, with a signature that verifies', async (vector) => {
    const { recipient, recipientPublicKey, sender, senderPublicKey, terms } = await load(vector);
    const made = await makeGrant(
      {
        terms,
        nodeKey: decodeBase64url(vector.nodeKey),
        senderSigningKey: sender.privateKey,
        recipientSharingKey: recipientPublicKey,
      },
      {
        ephemeral: await keyPairFromJwk(vector.ephemeralKey as VectorJwk, 'ECDH'),
        iv: fromHex(vector.iv),
        timestamp: vector.timestamp,
      },
    );
    // ECDSA signatures are randomized: everything else is byte for byte, and the new signature verifies.
    expect({ ...made, signature: vector.grant.signature }).toEqual(vector.grant);
    expect(toHex(grantSignedBytes(made, recipientPublicKey))).toBe(vector.signedBytes);
    const nodeKey = await openGrant(made, {
      senderSigningKey: senderPublicKey,
      recipientSharingKey: { privateKey: recipient.privateKey, publicKey: recipientPublicKey },
      expected: terms,
    });
    expect(encodeBase64url(nodeKey)).toBe(vector.nodeKey);
  });
});

describe('grants', () => {
  async function account() {
    const pairs = await generateAccountKeyPairs();
    return {
      pairs,
      sharing: { privateKey: pairs.sharing.privateKey, publicKey: await exportPublicKey(pairs.sharing.publicKey) },
      signingPublicKey: await exportPublicKey(pairs.signing.publicKey),
    };
  }

  async function setting() {
    const [a, b, c] = await Promise.all([account(), account(), account()]);
    const terms: GrantTerms = {
      senderId: alice,
      recipientId: bob,
      ownerId: alice,
      nodeId: folder,
      kind: 'folder',
      role: 'viewer',
    };
    const nodeKey = generateNodeKey();
    const make = (overrides: Partial<GrantTerms> = {}, to = b, signer = a) =>
      makeGrant({
        terms: { ...terms, ...overrides },
        nodeKey,
        senderSigningKey: signer.pairs.signing.privateKey,
        recipientSharingKey: to.sharing.publicKey,
      });
    /** Bob opens a grant, pinning Alice's signing key unless told otherwise. */
    const open = (grant: Grant, expected: Partial<GrantTerms> = {}, senderKey = a.signingPublicKey) =>
      openGrant(grant, {
        senderSigningKey: senderKey,
        recipientSharingKey: b.sharing,
        expected: { ...terms, ...expected },
      });
    /** Alice signs a grant whose fields were changed after sealing (what only a misbehaving sender could do). */
    const resign = async (grant: Grant) => {
      const signed = grantSignedBytes(grant, b.sharing.publicKey);
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        a.pairs.signing.privateKey,
        signed,
      );
      return { ...grant, signature: encodeBase64url(new Uint8Array(signature)) };
    };
    return { a, b, c, terms, nodeKey, make, open, resign };
  }

  it('gives the recipient the node key, and binds every term in the signed bytes', async () => {
    const { make, open, nodeKey, b } = await setting();
    const grant = await make();
    expectBytes(await open(grant), nodeKey);
    // The grant carries no key in the clear: only the ephemeral public key, the wrap and the signature.
    expect(JSON.stringify(grant)).not.toContain(encodeBase64url(nodeKey));
    const signed = grantSignedBytes(grant, b.sharing.publicKey);
    expect(signed.length).toBe(
      'coffer/v1/grant/signature'.length +
        2 +
        4 * (2 + 16) +
        (2 + 6) +
        (2 + 6) +
        3 * 2 +
        91 +
        91 +
        decodeBase64url(grant.wrapped).length,
    );
  });

  it('makes a new ephemeral key for every grant', async () => {
    const { make } = await setting();
    const [one, two] = await Promise.all([make(), make()]);
    expect(one.ephemeralPublicKey).not.toBe(two.ephemeralPublicKey);
  });

  it('refuses a grant with a bad signature', async () => {
    const { make, open } = await setting();
    const grant = await make();
    const signature = decodeBase64url(grant.signature);
    signature[10]! ^= 1;
    await expectCode(
      open({ ...grant, signature: encodeBase64url(signature) }),
      'GRANT_SIGNATURE_INVALID',
      /does not verify with the sender's signing key \(the grant says it is from a11ce000-.*\)/,
    );
  });

  it("refuses a grant signed by another key in the sender's name (a server forging a share)", async () => {
    const { make, open, c } = await setting();
    const forged = await make({}, undefined, c);
    await expectCode(open(forged), 'GRANT_SIGNATURE_INVALID', /made by someone else/);
    // The same grant opens only for whoever trusts the forger's key: the key, not the id, is what is checked.
    await expect(open(forged, {}, c.signingPublicKey)).resolves.toBeInstanceOf(Uint8Array);
  });

  it('refuses a grant whose ephemeral key was swapped, before trying to unwrap', async () => {
    const { make, open, resign } = await setting();
    const [grant, other] = await Promise.all([make(), make()]);
    const swapped = { ...grant, ephemeralPublicKey: other.ephemeralPublicKey };
    await expectCode(open(swapped), 'GRANT_SIGNATURE_INVALID', /altered/);
    // Even signed by the sender, a wrap opens only with the ephemeral key it was sealed with.
    await expectCode(open(await resign(swapped)), 'WRAPPED_KEY_INVALID', /failed authentication/);
  });

  it('refuses a grant sealed for another recipient', async () => {
    const { make, open, c } = await setting();
    // Alice shared with Carol; the server hands Carol's grant to Bob, under Bob's id or Carol's.
    const forCarol = await make({ recipientId: carol }, c);
    await expectCode(
      open({ ...forCarol, recipientId: bob }),
      'GRANT_SIGNATURE_INVALID',
      /made for another recipient's key/,
    );
    await expectCode(
      open(forCarol, { recipientId: carol }),
      'GRANT_SIGNATURE_INVALID',
      /made for another recipient's key/,
    );
  });

  it('refuses a signed grant that names another recipient than this account', async () => {
    const { make, open } = await setting();
    const grant = await make({ recipientId: carol });
    await expectCode(open(grant), 'GRANT_MISMATCH', /names another recipient than the one expected/);
  });

  it('refuses a grant for another node than the one the server shows it for', async () => {
    const { make, open } = await setting();
    const grant = await make();
    await expectCode(
      open(grant, { nodeId: otherFolder }),
      'GRANT_MISMATCH',
      /names another node than the one expected/,
    );
    // Relabelled by the server to match: the signature no longer verifies, and that is checked first.
    await expectCode(
      open({ ...grant, nodeId: otherFolder }, { nodeId: otherFolder }),
      'GRANT_SIGNATURE_INVALID',
      /altered/,
    );
  });

  it('refuses a grant shown with another role', async () => {
    const { make, open } = await setting();
    const viewer = await make();
    await expectCode(open(viewer, { role: 'editor' }), 'GRANT_MISMATCH', /names another role than the one expected/);
    await expectCode(open({ ...viewer, role: 'editor' }, { role: 'editor' }), 'GRANT_SIGNATURE_INVALID', /altered/);
  });

  it('refuses a grant from another sender, owner or kind than expected', async () => {
    const { make, open } = await setting();
    const grant = await make();
    await expectCode(open(grant, { senderId: carol }), 'GRANT_MISMATCH', /names another sender than the one expected/);
    await expectCode(open(grant, { ownerId: carol }), 'GRANT_MISMATCH', /names another owner than the one expected/);
    await expectCode(open(grant, { kind: 'file' }), 'GRANT_MISMATCH', /names another kind than the one expected/);
  });

  it('refuses a signed grant whose wrap was sealed for other terms', async () => {
    const { make, open, resign } = await setting();
    const [viewer, editor] = await Promise.all([make(), make({ role: 'editor' })]);
    // The sender's signature over the editor's seal with the viewer's terms: the wrap's own binding still says editor.
    const mixed = await resign({ ...viewer, ephemeralPublicKey: editor.ephemeralPublicKey, wrapped: editor.wrapped });
    await expectCode(open(mixed), 'WRAPPED_KEY_INVALID', /does not belong to this object/);
  });

  it('refuses a grant that is not well formed, saying which field and none of its text', async () => {
    const { make, open } = await setting();
    const grant = await make();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ version: 2 }, /version is 1, got 2/],
      [{ version: 'Coffer support: call +1 555 0100' }, /^a grant's version is 1$/],
      [{ nodeId: folder.toUpperCase() }, /^a grant's nodeId is not a UUID in lower case$/],
      [{ senderId: undefined }, /senderId is not a UUID in lower case/],
      [{ role: 'Coffer support: call +1 555 0100' }, /^a grant's role is not "viewer" or "editor"$/],
      [{ kind: 'Coffer support: call +1 555 0100' }, /^a grant's kind is not "folder" or "file"$/],
      [{ wrapped: 'Coffer support: call +1 555 0100' }, /^a grant's wrapped is not base64url$/],
      [{ signature: encodeBase64url(new Uint8Array(70)) }, /signature is 64 bytes \(r \|\| s\), got 70/],
    ];
    for (const [change, message] of cases) {
      await expectCode(open({ ...grant, ...change } as Grant), 'GRANT_MALFORMED', message);
    }
  });

  it('refuses to make a grant with a role or kind it does not know', async () => {
    const { make } = await setting();
    await expectCode(make({ role: 'owner' as 'viewer' }), 'BAD_ARGUMENT', /a role is "viewer" or "editor"/);
    await expectCode(make({ nodeId: 'not-a-uuid' }), 'BAD_ARGUMENT', /not a UUID/);
  });
});
