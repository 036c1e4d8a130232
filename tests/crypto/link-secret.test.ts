import { describe, expect, it } from 'vitest';
import {
  accessTokenHash,
  ARGON2ID_BOUNDS,
  decodeBase64url,
  deriveLinkKeys,
  encodeBase64url,
  generateLinkSecret,
  generateNodeKey,
  linkFragment,
  openLinkWrap,
  parseLinkFragment,
  parseLinkSecret,
  wrapForLink,
  type LinkPlace,
} from '../../shared/crypto/index.ts';
import { fromHex, toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { expectBytes, expectCode } from './assertions.ts';

/** The floor of FORMAT.md 4.1, so that the tests that are not vectors stay quick. */
const CHEAP = {
  memoryKiB: ARGON2ID_BOUNDS.memoryKiB.min,
  passes: ARGON2ID_BOUNDS.work.min / ARGON2ID_BOUNDS.memoryKiB.min,
  parallelism: 1,
};

describe('link vectors (FORMAT.md section 4.4)', () => {
  const place = (vector: (typeof vectors.link)[number]): LinkPlace => ({
    linkId: vector.linkId,
    ownerId: vector.ownerId,
    nodeId: vector.nodeId,
    kind: vector.kind as LinkPlace['kind'],
  });

  it.each(vectors.link)('derives the keys of $name and opens its wrap', async (vector) => {
    const keys = await deriveLinkKeys(vector.secret, vector.linkId, vector.password, vector.argon2id);
    expect(toHex(keys.wrappingSecret)).toBe(vector.wrappingSecret);
    expect(toHex(keys.accessToken)).toBe(vector.accessToken);
    expect(toHex(await accessTokenHash(keys.accessToken))).toBe(vector.accessTokenHash);
    expect(encodeBase64url(await openLinkWrap(keys, vector.wrapped, place(vector)))).toBe(vector.nodeKey);
    const wrapped = await wrapForLink(keys, decodeBase64url(vector.nodeKey), place(vector), {
      iv: fromHex(vector.iv),
      timestamp: vector.timestamp,
    });
    expect(wrapped).toBe(vector.wrapped);
  });

  it.each(vectors.link)(
    'reads the fragment of $name: its secret, and the password mark only with a password',
    (vector) => {
      expect(parseLinkFragment(vector.fragment)).toEqual({
        secret: vector.secret,
        withPassword: vector.password !== undefined,
      });
      expect(linkFragment(vector.secret, vector.password !== undefined)).toBe(vector.fragment);
    },
  );

  it('refuses a fragment with another mark, or a mark and a cut secret', async () => {
    const [vector] = vectors.link;
    for (const fragment of [`${vector!.secret}.x`, `${vector!.secret}p`, `${vector!.secret.slice(1)}.p`, '.p']) {
      await expectCode(
        Promise.resolve().then(() => parseLinkFragment(fragment)),
        'LINK_MALFORMED',
      );
    }
  });

  it('normalizes the password: typed composed, it opens the vector typed decomposed', async () => {
    const vector = vectors.link.find((v) => v.password !== undefined)!;
    expect(vector.password).not.toBe(vector.password!.normalize('NFC'));
    const keys = await deriveLinkKeys(vector.secret, vector.linkId, vector.password!.normalize('NFC'));
    expect(toHex(keys.wrappingSecret)).toBe(vector.wrappingSecret);
  });

  it('refuses the password link opened without its password, and with a wrong one', async () => {
    const vector = vectors.link.find((v) => v.password !== undefined)!;
    const bound = place(vector);
    const withoutPassword = await deriveLinkKeys(vector.secret, vector.linkId);
    expect(toHex(withoutPassword.accessToken)).not.toBe(vector.accessToken);
    await expectCode(
      openLinkWrap(withoutPassword, vector.wrapped, bound),
      'WRAPPED_KEY_INVALID',
      /does not open without its password/,
    );
    const wrongPassword = await deriveLinkKeys(vector.secret, vector.linkId, `${vector.password!}.`);
    expect(toHex(wrongPassword.accessToken)).not.toBe(vector.accessToken);
    await expectCode(openLinkWrap(wrongPassword, vector.wrapped, bound), 'WRAPPED_KEY_INVALID', /wrong password/);
  });
});

describe('link secrets', () => {
  const place: LinkPlace = {
    linkId: 'l1nk-A_b',
    ownerId: 'a11ce000-0000-4000-8000-000000000001',
    nodeId: 'f11e0000-0000-4000-8000-000000000002',
    kind: 'file',
  };

  it('are 256 random bits in 43 characters of base64url', () => {
    const secret = generateLinkSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseLinkSecret(secret)).toHaveLength(32);
    expect(generateLinkSecret()).not.toBe(secret);
  });

  it('derive a wrapping secret and an access token that are unrelated, and only the hash goes to the server', async () => {
    const keys = await deriveLinkKeys(generateLinkSecret(), place.linkId);
    expect(keys.withPassword).toBe(false);
    expect(toHex(keys.wrappingSecret)).not.toBe(toHex(keys.accessToken));
    const hash = await accessTokenHash(keys.accessToken);
    expect(hash).toHaveLength(32);
    expect(toHex(hash)).not.toBe(toHex(keys.accessToken));
  });

  it('open the node key only for the link, owner, node and kind they were made for', async () => {
    const secret = generateLinkSecret();
    const keys = await deriveLinkKeys(secret, place.linkId);
    const nodeKey = generateNodeKey();
    const wrapped = await wrapForLink(keys, nodeKey, place);
    expectBytes(await openLinkWrap(keys, wrapped, place), nodeKey);
    const others: LinkPlace[] = [
      { ...place, nodeId: 'f11e0000-0000-4000-8000-000000000009' },
      { ...place, ownerId: 'b0b00000-0000-4000-8000-000000000002' },
      { ...place, kind: 'folder' },
    ];
    for (const other of others) {
      await expectCode(openLinkWrap(keys, wrapped, other), 'WRAPPED_KEY_INVALID', /without its password/);
    }
    // The same secret under another link id (a server replaying another link's wrap) derives other keys.
    const elsewhere = await deriveLinkKeys(secret, 'another-link');
    expect(toHex(elsewhere.accessToken)).not.toBe(toHex(keys.accessToken));
    await expectCode(
      openLinkWrap(elsewhere, wrapped, { ...place, linkId: 'another-link' }),
      'WRAPPED_KEY_INVALID',
      /without its password/,
    );
  });

  it('with a password, need both: the secret alone and the password alone open nothing', async () => {
    const secret = generateLinkSecret();
    const keys = await deriveLinkKeys(secret, place.linkId, 'correct horse', CHEAP);
    expect(keys.withPassword).toBe(true);
    const nodeKey = generateNodeKey();
    const wrapped = await wrapForLink(keys, nodeKey, place);
    expectBytes(await openLinkWrap(keys, wrapped, place), nodeKey);
    const secretAlone = await deriveLinkKeys(secret, place.linkId);
    await expectCode(openLinkWrap(secretAlone, wrapped, place), 'WRAPPED_KEY_INVALID', /without its password/);
    const passwordAlone = await deriveLinkKeys(generateLinkSecret(), place.linkId, 'correct horse', CHEAP);
    await expectCode(openLinkWrap(passwordAlone, wrapped, place), 'WRAPPED_KEY_INVALID', /wrong password/);
    const otherCost = await deriveLinkKeys(secret, place.linkId, 'correct horse', { ...CHEAP, passes: 3 });
    await expectCode(openLinkWrap(otherCost, wrapped, place), 'WRAPPED_KEY_INVALID', /wrong password/);
  });

  it('refuse Argon2id costs below the floor or above the ceiling, whoever asks for them', async () => {
    const secret = generateLinkSecret();
    await expectCode(
      deriveLinkKeys(secret, place.linkId, 'pw', { ...CHEAP, memoryKiB: 1024 }),
      'WEAK_PARAMETERS',
      /Argon2id memoryKiB must be a whole number of at least 19456, got 1024/,
    );
    await expectCode(
      deriveLinkKeys(secret, place.linkId, 'pw', { ...CHEAP, passes: 100 }),
      'PARAMETERS_TOO_COSTLY',
      /Argon2id passes must be at most 10, got 100/,
    );
    await expectCode(deriveLinkKeys(secret, place.linkId, ''), 'BAD_ARGUMENT', /cannot be empty/);
  });

  it('refuse a secret or a link id that is not well formed', async () => {
    const secret = generateLinkSecret();
    for (const bad of [secret.slice(0, -1), `${secret}=`, `${secret.slice(0, -1)}+`, '', `${secret}AAAA`]) {
      await expectCode(deriveLinkKeys(bad, place.linkId), 'LINK_MALFORMED', /a link's secret is 43 characters/);
    }
    for (const bad of ['', 'a:b', 'x'.repeat(65), 'with space']) {
      await expectCode(deriveLinkKeys(secret, bad), 'LINK_MALFORMED', /a link id is 1 to 64 characters/);
    }
  });
});
