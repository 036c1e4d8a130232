/**
 * What a link carries and what its page checks (docs/FORMAT.md sections 4.4 and 4.5): share-link secrets and
 * fragments, link ids, a link's wrap with and without a password, request-link key fingerprints and signed request
 * messages, and the recovery code a person types. Each parses what its writer makes back to the same value, refuses
 * any other text with its own code, and refuses a valid value altered in any way (threat model rows 1, 2 and 6).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ARGON2ID_BOUNDS,
  checkKeyFingerprint,
  checkLinkId,
  decodeBase64url,
  deriveLinkKeys,
  encodeBase64url,
  exportPublicKey,
  fingerprintText,
  formatRecoveryCode,
  generateAccountKeyPairs,
  generateLinkSecret,
  generateNodeKey,
  linkFragment,
  openLinkWrap,
  parseLinkFragment,
  parseLinkSecret,
  parseRecoveryCode,
  signRequestTerms,
  verifyRequestTerms,
  wrapForLink,
  type LinkKeys,
  type LinkPlace,
  type RequestTerms,
} from '../../shared/crypto/index.ts';
import {
  anyBytes,
  anyText,
  anyUuid,
  anyWellFormedText,
  FEW,
  MANY,
  mutationOf,
  refuses,
  returnsOrRefuses,
  sameBytes,
} from './arbitraries.ts';

const anySecretBytes = fc.uint8Array({ minLength: 32, maxLength: 32 });
const anyLinkId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const place: LinkPlace = {
  linkId: 'link-1',
  ownerId: '0b6f7a5e-0000-4000-8000-000000000001',
  nodeId: '0b6f7a5e-0000-4000-8000-000000000002',
  kind: 'file',
};
const CHEAP = {
  memoryKiB: ARGON2ID_BOUNDS.memoryKiB.min,
  passes: ARGON2ID_BOUNDS.work.min / ARGON2ID_BOUNDS.memoryKiB.min,
  parallelism: 1,
};

describe('share-link secrets and fragments, property-tested', () => {
  it('parse back to the secret and the password mark they were written with', () => {
    fc.assert(
      fc.property(anySecretBytes, fc.boolean(), (bytes, withPassword) => {
        const secret = encodeBase64url(bytes, { padding: false });
        expect(sameBytes(parseLinkSecret(secret), bytes)).toBe(true);
        expect(parseLinkFragment(linkFragment(secret, withPassword))).toEqual({ secret, withPassword });
      }),
      MANY,
    );
  });

  it('refuse any other text with LINK_MALFORMED', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        await returnsOrRefuses(() => parseLinkFragment(text), ['LINK_MALFORMED']);
        await returnsOrRefuses(() => checkLinkId(text), ['LINK_MALFORMED']);
      }),
      MANY,
    );
  });

  it('accept a secret only in its one canonical form, so that a changed text is another secret or refused', async () => {
    const secret = generateLinkSecret();
    const text = fc.string({ unit: fc.constantFrom(...'ABCabc019-_=+/.'), minLength: 1, maxLength: 4 });
    const altered = fc.oneof(
      fc
        .record({ at: fc.nat(secret.length - 1), by: text })
        .map(({ at, by }) => secret.slice(0, at) + by + secret.slice(at + 1)),
      fc.nat(secret.length - 1).map((length) => secret.slice(0, length)),
      text.map((extra) => secret + extra),
    );
    await fc.assert(
      fc.asyncProperty(altered, async (changed) => {
        const bytes = await returnsOrRefuses(() => parseLinkSecret(changed), ['LINK_MALFORMED']);
        if (bytes) expect(encodeBase64url(bytes as Uint8Array, { padding: false })).toBe(changed);
      }),
      MANY,
    );
  });
});

describe("a share link's wrap, property-tested", () => {
  let keys: LinkKeys;
  let wrapped: string;
  const nodeKey = generateNodeKey();

  beforeAll(async () => {
    keys = await deriveLinkKeys(generateLinkSecret(), place.linkId);
    wrapped = await wrapForLink(keys, nodeKey, place);
  });

  it('opens to the node key for any link id and secret', async () => {
    await fc.assert(
      fc.asyncProperty(anySecretBytes, anyLinkId, async (bytes, linkId) => {
        const linkKeys = await deriveLinkKeys(encodeBase64url(bytes, { padding: false }), linkId);
        const made = await wrapForLink(linkKeys, nodeKey, { ...place, linkId });
        expect(sameBytes(await openLinkWrap(linkKeys, made, { ...place, linkId }), nodeKey)).toBe(true);
      }),
      FEW,
    );
  });

  it('refuses any text, and a valid wrap altered in any way, with WRAPPED_KEY_INVALID', async () => {
    const texts = fc.oneof(
      anyText,
      mutationOf(decodeBase64url(wrapped)).map((bytes) => encodeBase64url(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        await refuses(() => openLinkWrap(keys, text, place), ['WRAPPED_KEY_INVALID']);
      }),
      MANY,
    );
  });

  it('made with a password, opens with that password only: never with another, nor without one', async () => {
    const secret = generateLinkSecret();
    const passwords = fc
      .tuple(anyWellFormedText(20), anyWellFormedText(20))
      .filter(([a, b]) => a.length > 0 && a !== b);
    await fc.assert(
      fc.asyncProperty(passwords, async ([password, other]) => {
        const made = await wrapForLink(await deriveLinkKeys(secret, place.linkId, password, CHEAP), nodeKey, place);
        const wrong = await returnsOrRefuses(
          () => deriveLinkKeys(secret, place.linkId, other, CHEAP),
          ['BAD_ARGUMENT'],
        );
        if (wrong) await refuses(() => openLinkWrap(wrong as LinkKeys, made, place), ['WRAPPED_KEY_INVALID']);
        const without = await deriveLinkKeys(secret, place.linkId);
        await refuses(() => openLinkWrap(without, made, place), ['WRAPPED_KEY_INVALID']);
      }),
      { ...FEW, numRuns: 3 },
    );
  });
});

describe('request links, property-tested', () => {
  let publicKeys: Uint8Array[];
  let signingKey: CryptoKey;
  let fingerprint: string;
  const terms: RequestTerms = {
    requestLinkId: '0b6f7a5e-0000-4000-8000-0000000000f1',
    ownerId: '0b6f7a5e-0000-4000-8000-000000000001',
    folderId: '0b6f7a5e-0000-4000-8000-000000000002',
    message: 'Please send the scans',
  };
  let signature: string;

  beforeAll(async () => {
    const pairs = await generateAccountKeyPairs();
    publicKeys = [await exportPublicKey(pairs.sharing.publicKey), await exportPublicKey(pairs.signing.publicKey)];
    signingKey = pairs.signing.privateKey;
    fingerprint = await fingerprintText(publicKeys);
    signature = await signRequestTerms(signingKey, terms);
  });

  it("accept the owner's keys for their own fingerprint, and refuse any other fingerprint text", async () => {
    await checkKeyFingerprint(publicKeys, fingerprint);
    const texts = fc.oneof(
      anyText,
      mutationOf(decodeBase64url(fingerprint)).map((bytes) => encodeBase64url(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        await refuses(() => checkKeyFingerprint(publicKeys, text), ['PUBLIC_KEY_MISMATCH']);
      }),
      MANY,
    );
  });

  it('refuse any public keys but the fingerprinted ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(1), anyBytes(120), async (which, key) => {
        fc.pre(!sameBytes(key, publicKeys[which]!));
        const keys = publicKeys.map((original, i) => (i === which ? key : original));
        await refuses(() => checkKeyFingerprint(keys, fingerprint), ['PUBLIC_KEY_MISMATCH']);
      }),
      MANY,
    );
  });

  it('verify signed terms for any message, link, owner and folder', async () => {
    const anyTerms = fc.record({
      requestLinkId: anyUuid,
      ownerId: anyUuid,
      folderId: anyUuid,
      message: anyWellFormedText(200),
    });
    await fc.assert(
      fc.asyncProperty(anyTerms, async (t) => {
        await verifyRequestTerms(publicKeys[1]!, await signRequestTerms(signingKey, t), t);
      }),
      FEW,
    );
  });

  it('refuse any signature text, and the signed terms with any field changed, with REQUEST_MESSAGE_INVALID', async () => {
    const changed = fc.oneof(
      anyWellFormedText(200).map((message) => ({ ...terms, message })),
      anyUuid.map((requestLinkId) => ({ ...terms, requestLinkId })),
      anyUuid.map((ownerId) => ({ ...terms, ownerId })),
      anyUuid.map((folderId) => ({ ...terms, folderId })),
    );
    const signatures = fc.oneof(
      anyText,
      mutationOf(decodeBase64url(signature)).map((bytes) => encodeBase64url(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(changed, signatures, async (otherTerms, otherSignature) => {
        fc.pre(JSON.stringify(otherTerms) !== JSON.stringify(terms));
        await refuses(() => verifyRequestTerms(publicKeys[1]!, signature, otherTerms), ['REQUEST_MESSAGE_INVALID']);
        await refuses(() => verifyRequestTerms(publicKeys[1]!, otherSignature, terms), ['REQUEST_MESSAGE_INVALID']);
      }),
      MANY,
    );
  });
});

describe('recovery codes, property-tested', () => {
  it('parse back to the key, however a person types them', () => {
    const typed = fc.record({ lower: fc.boolean(), spaces: fc.boolean() });
    fc.assert(
      fc.property(anySecretBytes, typed, (key, { lower, spaces }) => {
        let code = formatRecoveryCode(key);
        if (lower) code = code.toLowerCase();
        if (spaces) code = code.replaceAll('-', ' ');
        expect(sameBytes(parseRecoveryCode(code), key)).toBe(true);
      }),
      MANY,
    );
  });

  it('refuse any other text with BAD_RECOVERY_CODE', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        await returnsOrRefuses(() => parseRecoveryCode(text), ['BAD_RECOVERY_CODE']);
      }),
      MANY,
    );
  });
});
