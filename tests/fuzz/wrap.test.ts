/**
 * Wrapped keys (docs/FORMAT.md section 4) and what is built on them: sealed texts, keys sealed to a public key
 * (request-link uploads, section 4.5), and the account's key bundle (the master key's and private keys' wraps, the
 * published public keys). A wrap opens only to the key it holds, for exactly its binding; any other text, any payload
 * but the one the encoder writes, and a valid wrap altered in any way, are refused with WRAPPED_KEY_INVALID (threat
 * model rows 1 and 2).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, u16, u8, utf8 } from '../../shared/crypto/bytes.ts';
import {
  decodeBase64url,
  encodeBase64url,
  encryptTokenText,
  exportPublicKey,
  fingerprintText,
  generateAccountKeyPairs,
  generateKey,
  openRequestFileKey,
  openText,
  passphraseWrappingSecret,
  sealRequestFileKey,
  unwrapMasterKey,
  unwrapPrivateKey,
  verifyPublishedKeys,
  wrapKey,
  wrapPrivateKey,
  type KeyBinding,
  type PassphraseParams,
} from '../../shared/crypto/index.ts';
import { deriveWrappingKey, unwrapKeyWith, wrapKeyWith } from '../../shared/crypto/wrap.ts';
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

const secret = generateKey();
const binding: KeyBinding = { purpose: 'file-key', owner: 'owner-1', object: 'object-1' };
let wrappingKey: Awaited<ReturnType<typeof deriveWrappingKey>>;
let wrapped: string;

beforeAll(async () => {
  wrappingKey = await deriveWrappingKey(secret);
  wrapped = await wrapKeyWith(wrappingKey, generateKey(), binding);
});

/** The payload the encoder writes (docs/FORMAT.md section 4), for comparing against what the parser accepted. */
function payloadOf(b: KeyBinding, key: Uint8Array): Uint8Array {
  const fields = [utf8(b.purpose), utf8(b.owner), utf8(b.object), key];
  return concatBytes(u8(1), ...fields.flatMap((field) => [u16(field.length), field]));
}

/** Payloads near the real one: version byte, then four length-prefixed fields of any lengths and bytes. */
const payloadLike = fc
  .record({
    version: fc.oneof(fc.constant(1), fc.nat(255)),
    fields: fc.array(fc.record({ length: fc.oneof(fc.nat(300), fc.nat(0xffff)), bytes: anyBytes(80) }), {
      maxLength: 5,
    }),
    tail: anyBytes(4),
  })
  .map(({ version, fields, tail }) =>
    concatBytes(u8(version), ...fields.flatMap(({ length, bytes }) => [u16(length), bytes]), tail),
  );

describe('wrapped keys, property-tested', () => {
  it('unwrap to the key they hold, for any key and binding', async () => {
    const bindings = fc.record({
      purpose: fc.stringMatching(/^[a-z0-9-]{1,64}$/),
      owner: anyWellFormedText(60).filter((text) => text.length > 0),
      object: anyWellFormedText(60).filter((text) => text.length > 0),
    });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), bindings, async (key, b) => {
        expect(sameBytes(await unwrapKeyWith(wrappingKey, await wrapKeyWith(wrappingKey, key, b), b), key)).toBe(true);
      }),
      FEW,
    );
  });

  it('refuse any text with WRAPPED_KEY_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        await refuses(() => unwrapKeyWith(wrappingKey, text, binding), ['WRAPPED_KEY_INVALID']);
      }),
      MANY,
    );
  });

  it('open an authentic token only when its payload is exactly what the encoder writes for this binding', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes(), payloadLike), async (payload) => {
        const token = await encryptTokenText(wrappingKey, payload);
        const key = await returnsOrRefuses(() => unwrapKeyWith(wrappingKey, token, binding), ['WRAPPED_KEY_INVALID']);
        if (key) expect(sameBytes(payloadOf(binding, key as Uint8Array), payload)).toBe(true);
      }),
      MANY,
    );
  });

  it('refuse a valid wrap with any byte changed, cut short, extended or spliced', async () => {
    await fc.assert(
      fc.asyncProperty(mutationOf(decodeBase64url(wrapped)), async (altered) => {
        await refuses(() => unwrapKeyWith(wrappingKey, encodeBase64url(altered), binding), ['WRAPPED_KEY_INVALID']);
      }),
      MANY,
    );
  });
});

describe('sealed texts, property-tested', () => {
  it('open to their text, or refuse with WRAPPED_KEY_INVALID, whatever bytes an authentic wrap holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 80 }), async (bytes) => {
        const sealed = await wrapKey(secret, bytes, binding);
        await returnsOrRefuses(() => openText(secret, sealed, binding), ['WRAPPED_KEY_INVALID']);
      }),
      FEW,
    );
  });
});

describe('keys sealed to a request link owner, property-tested', () => {
  let owner: { privateKey: CryptoKey; publicKey: Uint8Array };
  let signing: Uint8Array;
  const place = {
    requestLinkId: 'request-1',
    ownerId: '0b6f7a5e-0000-4000-8000-000000000001',
    nodeId: '0b6f7a5e-0000-4000-8000-000000000002',
  };
  let seal: { ephemeralPublicKey: string; wrapped: string };

  beforeAll(async () => {
    const pairs = await generateAccountKeyPairs();
    owner = { privateKey: pairs.sharing.privateKey, publicKey: await exportPublicKey(pairs.sharing.publicKey) };
    signing = await exportPublicKey(pairs.signing.publicKey);
    const fingerprint = await fingerprintText([owner.publicKey, signing]);
    seal = await sealRequestFileKey({ sharing: owner.publicKey, signing }, fingerprint, generateKey(), place);
  });

  it('open to the file key for any file', async () => {
    await fc.assert(
      fc.asyncProperty(anyUuid, fc.uint8Array({ minLength: 32, maxLength: 32 }), async (nodeId, fileKey) => {
        const fingerprint = await fingerprintText([owner.publicKey, signing]);
        const made = await sealRequestFileKey({ sharing: owner.publicKey, signing }, fingerprint, fileKey, {
          ...place,
          nodeId,
        });
        expect(sameBytes(await openRequestFileKey(owner, made, { ...place, nodeId }), fileKey)).toBe(true);
      }),
      { ...FEW, numRuns: 10 },
    );
  });

  it('refuse any ephemeral key or wrap text with BAD_KEY or WRAPPED_KEY_INVALID', async () => {
    const anySeal = fc.oneof(
      anyText.map((text) => ({ ...seal, ephemeralPublicKey: text })),
      anyText.map((text) => ({ ...seal, wrapped: text })),
    );
    await fc.assert(
      fc.asyncProperty(anySeal, async (altered) => {
        await refuses(() => openRequestFileKey(owner, altered, place), ['BAD_KEY', 'WRAPPED_KEY_INVALID']);
      }),
      MANY,
    );
  });

  it('refuse a valid seal with its ephemeral key or its wrap altered', async () => {
    const altered = fc.oneof(
      mutationOf(decodeBase64url(seal.ephemeralPublicKey)).map((bytes) => ({
        ...seal,
        ephemeralPublicKey: encodeBase64url(bytes),
      })),
      mutationOf(decodeBase64url(seal.wrapped)).map((bytes) => ({ ...seal, wrapped: encodeBase64url(bytes) })),
    );
    await fc.assert(
      fc.asyncProperty(altered, async (changed) => {
        await refuses(() => openRequestFileKey(owner, changed, place), ['BAD_KEY', 'WRAPPED_KEY_INVALID']);
      }),
      FEW,
    );
  });
});

describe('account key bundles, property-tested', () => {
  const userId = '0b6f7a5e-0000-4000-8000-0000000000aa';
  const masterKey = generateKey();
  let wrappedKeys: { sharing: string; signing: string };
  let published: { sharing: string; signing: string };

  beforeAll(async () => {
    const pairs = await generateAccountKeyPairs();
    wrappedKeys = {
      sharing: await wrapPrivateKey(masterKey, pairs.sharing.privateKey, userId, 'sharing'),
      signing: await wrapPrivateKey(masterKey, pairs.signing.privateKey, userId, 'signing'),
    };
    published = {
      sharing: encodeBase64url(await exportPublicKey(pairs.sharing.publicKey)),
      signing: encodeBase64url(await exportPublicKey(pairs.signing.publicKey)),
    };
  });

  it('refuse any master key wrap text with WRAPPED_KEY_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        await refuses(() => unwrapMasterKey(secret, text, userId, 'recovery'), ['WRAPPED_KEY_INVALID']);
      }),
      MANY,
    );
  });

  it('refuse a private key wrap that holds anything but a P-256 key with WRAPPED_KEY_INVALID', async () => {
    const privateKeyBinding = { purpose: 'signing-private-key', owner: userId, object: userId };
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const wrappedBytes = await wrapKey(masterKey, bytes, privateKeyBinding);
        await refuses(() => unwrapPrivateKey(masterKey, wrappedBytes, userId, 'signing'), ['WRAPPED_KEY_INVALID']);
      }),
      FEW,
    );
  });

  it('verify the published public keys, and refuse any other text in their place', async () => {
    expect(await verifyPublishedKeys(masterKey, userId, wrappedKeys, published)).toBeDefined();
    const purpose = fc.constantFrom('sharing' as const, 'signing' as const);
    const replaced = fc.record({ purpose, text: fc.oneof(anyText, fc.constant(undefined)) });
    await fc.assert(
      fc.asyncProperty(replaced, async ({ purpose, text }) => {
        fc.pre(text !== published[purpose]);
        await refuses(
          () => verifyPublishedKeys(masterKey, userId, wrappedKeys, { ...published, [purpose]: text }),
          ['PUBLIC_KEY_MISMATCH'],
        );
      }),
      FEW,
    );
  });

  it('refuse any text in place of a wrapped private key with WRAPPED_KEY_INVALID', async () => {
    const purpose = fc.constantFrom('sharing' as const, 'signing' as const);
    await fc.assert(
      fc.asyncProperty(purpose, anyText, async (purpose, text) => {
        await refuses(
          () => verifyPublishedKeys(masterKey, userId, { ...wrappedKeys, [purpose]: text }, published),
          ['WRAPPED_KEY_INVALID'],
        );
      }),
      FEW,
    );
  });
});

describe('passphrase parameters from the server, property-tested', () => {
  it('are refused with WEAK_PARAMETERS, PARAMETERS_TOO_COSTLY or BAD_BASE64 when out of bounds or malformed', async () => {
    // Every count generated is outside its bounds or not a number, so no run pays for a real Argon2id or PBKDF2.
    const notACount = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(Number.NaN, 65536.5, Infinity),
    );
    const params = fc.record(
      {
        kdf: fc.oneof(fc.constantFrom('Argon2id', 'PBKDF2-SHA256'), fc.string({ maxLength: 12 })),
        salt: fc.oneof(
          anyText,
          fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => encodeBase64url(b)),
        ),
        memoryKiB: fc.oneof(fc.integer({ max: 19 * 1024 - 1 }), fc.integer({ min: 1024 * 1024 + 1 }), notACount),
        passes: fc.integer({ min: -2, max: 12 }),
        parallelism: fc.integer({ min: -1, max: 6 }),
        iterations: fc.oneof(fc.integer({ max: 599_999 }), fc.integer({ min: 10_000_001 }), notACount),
      },
      { requiredKeys: ['kdf'] },
    );
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        await refuses(
          () => passphraseWrappingSecret('passphrase', p as PassphraseParams),
          ['WEAK_PARAMETERS', 'PARAMETERS_TOO_COSTLY', 'BAD_BASE64'],
        );
      }),
      MANY,
    );
  });
});

/** The counterexamples the properties above found, kept as plain cases. */
describe('wrap parsers, regressions found by the properties', () => {
  it('a sealed text holding bytes that are not UTF-8 is WRAPPED_KEY_INVALID, not a TypeError', async () => {
    const sealed = await wrapKey(secret, Uint8Array.of(0x80), binding);
    await refuses(() => openText(secret, sealed, binding), ['WRAPPED_KEY_INVALID']);
  });

  it('a seal whose ephemeral key is not base64url is BAD_KEY, not BAD_BASE64', async () => {
    const seal = { ephemeralPublicKey: '\u0000', wrapped: 'gAAAAA' };
    const pairs = await generateAccountKeyPairs();
    const owner = { privateKey: pairs.sharing.privateKey, publicKey: await exportPublicKey(pairs.sharing.publicKey) };
    const place = {
      requestLinkId: 'r',
      ownerId: '0b6f7a5e-0000-4000-8000-000000000001',
      nodeId: '0b6f7a5e-0000-4000-8000-000000000002',
    };
    await refuses(() => openRequestFileKey(owner, seal, place), ['BAD_KEY']);
  });

  it('a private key wrap holding a byte that is no PKCS#8 key is WRAPPED_KEY_INVALID, not a DataError', async () => {
    const userId = '0b6f7a5e-0000-4000-8000-0000000000aa';
    const wrappedBytes = await wrapKey(secret, Uint8Array.of(0), {
      purpose: 'signing-private-key',
      owner: userId,
      object: userId,
    });
    await refuses(() => unwrapPrivateKey(secret, wrappedBytes, userId, 'signing'), ['WRAPPED_KEY_INVALID']);
  });
});
