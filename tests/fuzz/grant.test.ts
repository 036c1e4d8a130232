/**
 * Grants (docs/FORMAT.md section 4.3), as the recipient reads them from the server: a grant opens to the node key it
 * carries, for any terms; anything that is not a grant is GRANT_MALFORMED; and a grant with any field replaced, or its
 * sealed key, ephemeral key or signature altered, never opens (threat model rows 1 and 4).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  generateNodeKey,
  makeGrant,
  openGrant,
  type CryptoErrorCode,
  type Grant,
  type GrantTerms,
  type OpenGrantInput,
} from '../../shared/crypto/index.ts';
import {
  anyBytes,
  anyText,
  anyUuid,
  FEW,
  MANY,
  mutationOf,
  refuses,
  returnsOrRefuses,
  sameBytes,
} from './arbitraries.ts';

const REFUSED: CryptoErrorCode[] = [
  'GRANT_MALFORMED',
  'GRANT_SIGNATURE_INVALID',
  'GRANT_MISMATCH',
  'WRAPPED_KEY_INVALID',
];
const terms: GrantTerms = {
  senderId: '0b6f7a5e-0000-4000-8000-000000000001',
  recipientId: '0b6f7a5e-0000-4000-8000-000000000002',
  ownerId: '0b6f7a5e-0000-4000-8000-000000000001',
  nodeId: '0b6f7a5e-0000-4000-8000-000000000003',
  kind: 'folder',
  role: 'viewer',
};
const nodeKey = generateNodeKey();
let senderSigningKey: CryptoKey;
let input: OpenGrantInput;
let grant: Grant;

beforeAll(async () => {
  const sender = await generateAccountKeyPairs();
  const recipient = await generateAccountKeyPairs();
  senderSigningKey = sender.signing.privateKey;
  const recipientSharingKey = await exportPublicKey(recipient.sharing.publicKey);
  input = {
    senderSigningKey: await exportPublicKey(sender.signing.publicKey),
    recipientSharingKey: { privateKey: recipient.sharing.privateKey, publicKey: recipientSharingKey },
    expected: terms,
  };
  grant = await makeGrant({ terms, nodeKey, senderSigningKey, recipientSharingKey });
});

const anyTerms = fc.record({
  senderId: anyUuid,
  recipientId: anyUuid,
  ownerId: anyUuid,
  nodeId: anyUuid,
  kind: fc.constantFrom('folder' as const, 'file' as const),
  role: fc.constantFrom('viewer' as const, 'editor' as const),
});
const FIELDS = [
  'version',
  'senderId',
  'recipientId',
  'ownerId',
  'nodeId',
  'kind',
  'role',
  'ephemeralPublicKey',
  'wrapped',
  'signature',
] as const;

describe('grants, property-tested', () => {
  it('open to the node key they carry, for any terms', async () => {
    await fc.assert(
      fc.asyncProperty(anyTerms, async (t) => {
        const recipientSharingKey = input.recipientSharingKey.publicKey;
        const made = await makeGrant({ terms: t, nodeKey, senderSigningKey, recipientSharingKey });
        expect(sameBytes(await openGrant(made, { ...input, expected: t }), nodeKey)).toBe(true);
      }),
      { ...FEW, numRuns: 8 },
    );
  });

  it('refuse anything that is not a grant with GRANT_MALFORMED', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (value) => {
        await refuses(() => openGrant(value as Grant, input), ['GRANT_MALFORMED']);
      }),
      MANY,
    );
  });

  it('never open with a field replaced by any value, unless it opens to the same key', async () => {
    const replaced = fc.record({ field: fc.constantFrom(...FIELDS), value: fc.oneof(anyText, anyUuid, fc.anything()) });
    await fc.assert(
      fc.asyncProperty(replaced, async ({ field, value }) => {
        const key = await returnsOrRefuses(() => openGrant({ ...grant, [field]: value }, input), REFUSED);
        if (key) expect(sameBytes(key as Uint8Array, nodeKey)).toBe(true);
      }),
      MANY,
    );
  });

  it('refuse a grant whose sealed key, ephemeral key or signature bytes are altered', async () => {
    const altered = fc
      .constantFrom('ephemeralPublicKey' as const, 'wrapped' as const, 'signature' as const)
      .chain((field) =>
        mutationOf(decodeBase64url(grant[field])).map((bytes) => ({ ...grant, [field]: encodeBase64url(bytes) })),
      );
    await fc.assert(
      fc.asyncProperty(altered, async (changed) => {
        await refuses(() => openGrant(changed, input), ['GRANT_MALFORMED', 'GRANT_SIGNATURE_INVALID']);
      }),
      MANY,
    );
  });

  it('refuse a valid grant when the recipient expects other terms', async () => {
    await fc.assert(
      fc.asyncProperty(anyTerms, async (expected) => {
        fc.pre(JSON.stringify(expected) !== JSON.stringify(terms));
        await refuses(() => openGrant(grant, { ...input, expected }), ['GRANT_MISMATCH']);
      }),
      MANY,
    );
  });

  it("refuse any bytes as the sender's signing key with BAD_KEY or GRANT_SIGNATURE_INVALID", async () => {
    await fc.assert(
      fc.asyncProperty(anyBytes(120), async (senderSigningKey) => {
        await refuses(() => openGrant(grant, { ...input, senderSigningKey }), ['BAD_KEY', 'GRANT_SIGNATURE_INVALID']);
      }),
      FEW,
    );
  });
});
