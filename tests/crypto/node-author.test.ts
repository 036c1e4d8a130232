import { describe, expect, it } from 'vitest';
import {
  authorSignedBytes,
  decodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  signAuthorship,
  verifyAuthorship,
  type AuthorAction,
  type AuthorStatement,
} from '../../shared/crypto/index.ts';
import { toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { keyPairFromJwk, type VectorJwk } from '../vectors/keys.ts';
import { expectCode } from './assertions.ts';

const owner = 'a11ce000-0000-4000-8000-000000000001';
const editor = 'b0b00000-0000-4000-8000-000000000002';
const folder = 'f01de200-0000-4000-8000-000000000004';
const file = 'f11e0000-0000-4000-8000-000000000005';

function statementOf(vector: (typeof vectors.nodeAuthor)[number]): AuthorStatement {
  const { statement } = vector;
  return {
    ...statement,
    action: statement.action as AuthorAction,
    kind: statement.kind as AuthorStatement['kind'],
    revision: statement.revision && {
      number: statement.revision.number,
      header: decodeBase64url(statement.revision.header),
    },
    encryptedMetadata: decodeBase64url(statement.encryptedMetadata),
  };
}

describe('node author vectors (FORMAT.md section 5.2)', () => {
  it.each(vectors.nodeAuthor)('builds the signed bytes of $name exactly', async (vector) => {
    expect(toHex(await authorSignedBytes(statementOf(vector)))).toBe(vector.signedBytes);
  });

  it.each(vectors.nodeAuthor)("verifies $name's signature, and one made here", async (vector) => {
    const key = await keyPairFromJwk(vector.signingKey as VectorJwk, 'ECDSA');
    const publicKey = await exportPublicKey(key.publicKey);
    const { action, ...statement } = statementOf(vector);
    await verifyAuthorship(vector.authorSignature as { action: AuthorAction; signature: string }, statement, publicKey);
    const made = await signAuthorship({ action, ...statement }, key.privateKey);
    expect(made.action).toBe(action);
    await verifyAuthorship(made, statement, publicKey);
  });
});

describe('node author signatures', () => {
  async function signed() {
    const author = (await generateAccountKeyPairs()).signing;
    const other = (await generateAccountKeyPairs()).signing;
    const statement: AuthorStatement = {
      action: 'create',
      authorId: editor,
      ownerId: owner,
      nodeId: file,
      parentId: folder,
      kind: 'file',
      revision: { number: 1, header: crypto.getRandomValues(new Uint8Array(80)) },
      encryptedMetadata: crypto.getRandomValues(new Uint8Array(153)),
    };
    const signature = await signAuthorship(statement, author.privateKey);
    return {
      signature,
      seen: { ...statement, action: undefined },
      authorKey: await exportPublicKey(author.publicKey),
      otherKey: await exportPublicKey(other.publicKey),
    };
  }

  it("verifies with the author's key for the node as it was written", async () => {
    const { signature, seen, authorKey } = await signed();
    await expect(verifyAuthorship(signature, seen, authorKey)).resolves.toBeUndefined();
  });

  it.each([
    ['another author', { authorId: owner }],
    ['another owner', { ownerId: editor }],
    ['another node', { nodeId: folder }],
    ['another parent', { parentId: file }],
    ['the root as parent', { parentId: null }],
    ['altered metadata', { encryptedMetadata: new Uint8Array(153) }],
    ['another revision number', { revision: { number: 2, header: new Uint8Array(80) } }],
  ])('refuses the signature for %s', async (_case, change) => {
    const { signature, seen, authorKey } = await signed();
    await expectCode(verifyAuthorship(signature, { ...seen, ...change }, authorKey), 'AUTHOR_SIGNATURE_INVALID');
  });

  it('refuses another revision header, and another action than the one signed', async () => {
    const { signature, seen, authorKey } = await signed();
    const revision = { number: 1, header: seen.revision!.header.map((byte, i) => (i === 0 ? byte ^ 1 : byte)) };
    await expectCode(verifyAuthorship(signature, { ...seen, revision }, authorKey), 'AUTHOR_SIGNATURE_INVALID');
    await expectCode(verifyAuthorship({ ...signature, action: 'rename' }, seen, authorKey), 'AUTHOR_SIGNATURE_INVALID');
  });

  it('refuses a signature under any other key (a server-made one)', async () => {
    const { signature, seen, otherKey } = await signed();
    await expectCode(verifyAuthorship(signature, seen, otherKey), 'AUTHOR_SIGNATURE_INVALID');
  });

  it('refuses a malformed signature or action before anything else', async () => {
    const { signature, seen, authorKey } = await signed();
    const short = { ...signature, signature: signature.signature.slice(0, 40) };
    await expectCode(verifyAuthorship(short, seen, authorKey), 'AUTHOR_SIGNATURE_MALFORMED');
    const unknown = { ...signature, action: 'delete' } as unknown as typeof signature;
    await expectCode(verifyAuthorship(unknown, seen, authorKey), 'AUTHOR_SIGNATURE_MALFORMED');
  });
});
