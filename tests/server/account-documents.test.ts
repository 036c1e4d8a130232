import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ACCOUNT_DOCUMENT_CHARS } from '../../shared/api/schemas.ts';
import type { AccountDocumentResponse } from '../../shared/api/responses.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { fails, ok } from './client.ts';
import { createHarness, type Harness } from './harness.ts';

const put = (body: unknown): RequestInit => ({
  method: 'PUT',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const sealed = () => encodeBase64url(crypto.getRandomValues(new Uint8Array(150)));

describe.each(DATABASE_KINDS)('account documents on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  it('keeps one sealed document per account and kind, each write made from the version it read', async () => {
    const alice = await h.makeUser();
    const path = '/api/account/documents/contacts';
    expect(await ok(alice.request(path))).toEqual({ kind: 'contacts', version: 0, sealed: null, updatedAt: null });

    const first = sealed();
    const written = await ok<AccountDocumentResponse>(alice.request(path, put({ version: 0, sealed: first })));
    expect({ version: written.version, sealed: written.sealed }).toEqual({ version: 1, sealed: first });
    expect((await ok<AccountDocumentResponse>(alice.request(path))).sealed).toBe(first);

    // A second device that read nothing, or version 1 after the first device wrote again, is refused.
    expect(await fails(alice.request(path, put({ version: 0, sealed: sealed() })), 409, 'DOCUMENT_CHANGED')).toContain(
      'version 1',
    );
    const second = sealed();
    expect((await ok<AccountDocumentResponse>(alice.request(path, put({ version: 1, sealed: second })))).version).toBe(
      2,
    );
    await fails(alice.request(path, put({ version: 1, sealed: sealed() })), 409, 'DOCUMENT_CHANGED');
    expect((await ok<AccountDocumentResponse>(alice.request(path))).sealed).toBe(second);

    // The shares it accepted are another document, with versions of their own.
    const accepted = '/api/account/documents/accepted-shares';
    expect(await ok(alice.request(accepted))).toEqual({
      kind: 'accepted-shares',
      version: 0,
      sealed: null,
      updatedAt: null,
    });
    const record = sealed();
    expect(await ok(alice.request(accepted, put({ version: 0, sealed: record })))).toMatchObject({
      kind: 'accepted-shares',
      version: 1,
      sealed: record,
    });
    expect((await ok<AccountDocumentResponse>(alice.request(path))).sealed).toBe(second);

    // Another account has its own, and never sees this one.
    const bob = await h.makeUser();
    expect((await ok<AccountDocumentResponse>(bob.request(path))).sealed).toBeNull();
  });

  it('refuses an unknown kind and a document over the limit, naming them', async () => {
    const alice = await h.makeUser();
    expect(await fails(alice.request('/api/account/documents/diary'), 404, 'NO_SUCH_DOCUMENT_KIND')).toContain(
      'contacts, accepted-shares',
    );
    const tooLarge = 'A'.repeat(MAX_ACCOUNT_DOCUMENT_CHARS + 4);
    expect(
      await fails(
        alice.request('/api/account/documents/contacts', put({ version: 0, sealed: tooLarge })),
        400,
        'VALIDATION',
      ),
    ).toContain(String(MAX_ACCOUNT_DOCUMENT_CHARS));
  });
});
