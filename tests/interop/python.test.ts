/**
 * Interoperability with independent implementations: Python's reference Fernet (python3-cryptography) in both
 * directions through `coffer fernet`, tools/coffer_decrypt.py, written from docs/FORMAT.md alone, and the passphrase
 * vectors opened with Python's Argon2 (python3-argon2, the reference C code) and PBKDF2; and the grant, link and
 * request-seal vectors opened by the reference decryptor; and every vector of tests/vectors/coffer.json run through it by
 * tools/coffer_check_vectors.py.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  encryptMetadata,
  exportPublicKey,
  generateAccountKeyPairs,
  generateKey,
  generateNodeKey,
  makeGrant,
  uuidToBytes,
  type FileMetadata,
  type Grant,
  type GrantTerms,
} from '../../shared/crypto/index.ts';
import { toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { keyPairFromJwk, publicKeySpki, type VectorJwk } from '../vectors/keys.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { expectBytes } from '../crypto/assertions.ts';
import { makeTamperFixture, TAMPER_CASES } from '../crypto/tamper-cases.ts';
import { coffer, python, pythonCode, REFERENCE_DECRYPTOR } from '../run-command.ts';

const PY_ENCRYPT = `import sys; from cryptography.fernet import Fernet
sys.stdout.buffer.write(Fernet(sys.argv[1].encode()).encrypt(sys.stdin.buffer.read()))`;
const PY_DECRYPT = `import sys; from cryptography.fernet import Fernet
sys.stdout.buffer.write(Fernet(sys.argv[1].encode()).decrypt(sys.stdin.buffer.read().strip(), ttl=int(sys.argv[2])))`;

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536)
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}

describe("Python's Fernet and coffer fernet", () => {
  const lengths = [
    0,
    1,
    15,
    16,
    17,
    255,
    4096,
    100_000,
    ...Array.from({ length: 6 }, () => Math.floor(Math.random() * 50_000)),
  ];

  it.each(lengths)('coffer encrypts %i random bytes, Python decrypts', async (length) => {
    const key = encodeBase64url(generateKey());
    const plaintext = randomBytes(length);
    const token = await coffer(['fernet', 'encrypt', '--key', key], plaintext);
    expect(token.status).toBe(0);
    const result = await pythonCode(PY_DECRYPT, [key, '60'], token.stdout);
    expect(result.stderr).toBe('');
    expectBytes(result.stdout, plaintext);
  });

  it.each(lengths)('Python encrypts %i random bytes, coffer decrypts', async (length) => {
    const key = encodeBase64url(generateKey());
    const plaintext = randomBytes(length);
    const token = await pythonCode(PY_ENCRYPT, [key], plaintext);
    expect(token.stderr).toBe('');
    const result = await coffer(['fernet', 'decrypt', '--key', key, '--ttl', '60'], token.stdout);
    expect(result.stderr).toBe('');
    expectBytes(result.stdout, plaintext);
  });

  it('Python refuses a coffer token altered in any byte', async () => {
    const key = encodeBase64url(generateKey());
    const token = (await coffer(['fernet', 'encrypt', '--key', key], randomBytes(40))).stdout.toString().trim();
    const bytes = decodeBase64url(token);
    bytes[30]! ^= 1;
    const result = await pythonCode(PY_DECRYPT, [key, '60'], Buffer.from(encodeBase64url(bytes)));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/InvalidToken/);
  });
});

describe('tools/coffer_decrypt.py, the reference decryptor', () => {
  it.each(vectors.stream)('decrypts vector $name', async (vector) => {
    const args = ['--key', vector.fileKey, '--file-id', vector.fileId, '--revision', String(vector.revision)];
    const result = await python(REFERENCE_DECRYPTOR, args, decodeBase64url(vector.ciphertext));
    expect(result.stderr).toBe('');
    expectBytes(result.stdout, patternBytes(vector.plaintextSize));
  });

  it.each(vectors.stream)('decrypts CLI output byte-identically for the size of vector $name', async (vector) => {
    const key = encodeBase64url(generateKey());
    const plaintext = randomBytes(vector.plaintextSize);
    const encrypted = await coffer(
      ['encrypt', '--key', key, '--chunk-size', String(vector.chunkSize), '--revision', '4'],
      plaintext,
    );
    expect(encrypted.status).toBe(0);
    const result = await python(REFERENCE_DECRYPTOR, ['--key', key, '--revision', '4'], encrypted.stdout);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expectBytes(result.stdout, plaintext);
  });

  it('decrypts a multi-megabyte CLI stream at the default chunk size', async () => {
    const key = encodeBase64url(generateKey());
    const plaintext = randomBytes(5 * 1024 * 1024 + 12345);
    const encrypted = await coffer(['encrypt', '--key', key], plaintext);
    const result = await python(REFERENCE_DECRYPTOR, ['--key', key], encrypted.stdout);
    expect(result.stderr).toBe('');
    expectBytes(result.stdout, plaintext);
  });

  it.each(TAMPER_CASES)('rejects with a non-zero exit: $name', async (tamper) => {
    const fixture = await makeTamperFixture();
    const args = [
      '--key',
      encodeBase64url(fixture.fileKey),
      '--file-id',
      toHex(fixture.fileId),
      '--revision',
      String(fixture.revision),
    ];
    const result = await python(REFERENCE_DECRYPTOR, args, tamper.make(fixture));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^coffer_decrypt: ${tamper.expected}: [^\\n]+\\n$`));
  });
});

describe('Python reads node metadata', () => {
  it('node metadata is a standard Fernet token under the key FORMAT.md section 5 derives (checked by Python)', async () => {
    const key = generateNodeKey();
    const [nodeId, parentId] = [crypto.randomUUID(), crypto.randomUUID()];
    const metadata: FileMetadata = {
      name: 'Été.txt',
      type: 'text/plain',
      size: 3,
      modified: 1795000000000,
      revision: 2,
    };
    const place = { ownerId: crypto.randomUUID(), nodeId, parentId, kind: 'file' as const };
    const encrypted = await encryptMetadata(key, place, metadata);
    const script = `
import sys, base64, json
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
node_key, kind, node_id, parent_id, token = sys.argv[1:6]
info = b"coffer/v1/metadata" + b"\\x00" + bytes([int(kind)]) + bytes.fromhex(node_id) + bytes.fromhex(parent_id)
derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(bytes.fromhex(node_key))
plaintext = Fernet(base64.urlsafe_b64encode(derived)).decrypt(token.encode())
sys.stdout.write(json.dumps(json.loads(plaintext), sort_keys=True))
`;
    const result = await pythonCode(script, [
      toHex(key),
      '2',
      toHex(uuidToBytes(nodeId)),
      toHex(uuidToBytes(parentId)),
      encodeBase64url(encrypted),
    ]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual(metadata);
  });
});

describe('Python opens the passphrase vectors (FORMAT.md section 4.1)', () => {
  /** From the passphrase to the master key, written from FORMAT.md: the KDF, section 4's wrap key, Fernet, the payload. */
  const UNWRAP_WITH_PASSPHRASE = `
import sys, json, base64, hashlib, struct, unicodedata
from argon2.low_level import hash_secret_raw, Type
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
vector = json.loads(sys.stdin.read())
params = vector["params"]
passphrase = unicodedata.normalize("NFC", vector["passphrase"]).encode("utf-8")
salt = base64.urlsafe_b64decode(params["salt"] + "=" * (-len(params["salt"]) % 4))
if params["kdf"] == "Argon2id":
    secret = hash_secret_raw(passphrase, salt, time_cost=params["passes"], memory_cost=params["memoryKiB"],
                             parallelism=params["parallelism"], hash_len=32, type=Type.ID, version=19)
else:
    secret = hashlib.pbkdf2_hmac("sha256", passphrase, salt, params["iterations"], 32)
wrap_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"coffer/v1/wrap").derive(secret)
payload = Fernet(base64.urlsafe_b64encode(wrap_key)).decrypt(vector["wrapped"].encode())
assert payload[0] == 1
fields, offset = [], 1
for _ in range(4):
    (length,) = struct.unpack(">H", payload[offset:offset + 2])
    fields.append(payload[offset + 2:offset + 2 + length])
    offset += 2 + length
assert offset == len(payload)
purpose, owner, obj, key = fields
assert (purpose, owner, obj) == (b"master-key", vector["owner"].encode(), b"passphrase"), fields[:3]
sys.stdout.write(json.dumps({"wrappingSecret": secret.hex(), "masterKey": base64.urlsafe_b64encode(key).decode()}))
`;

  it.each(vectors.passphrase)('derives the secret of $name and unwraps its master key', async (vector) => {
    const result = await pythonCode(UNWRAP_WITH_PASSPHRASE, [], Buffer.from(JSON.stringify(vector)));
    expect(result.stderr.toString()).toBe('');
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({
      wrappingSecret: vector.wrappingSecret,
      masterKey: vector.masterKey,
    });
  });
});

describe('tools/coffer_decrypt.py opens grants, share links and request-link seals (FORMAT.md 4.3 to 4.5)', () => {
  const withFile = async <T>(contents: string, work: (path: string) => Promise<T>): Promise<T> => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-interop-'));
    try {
      const path = join(dir, 'input');
      await writeFile(path, contents);
      return await work(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const openGrantInPython = (grant: unknown, recipientJwk: JsonWebKey, senderKey: string) =>
    withFile(JSON.stringify(recipientJwk), (path) =>
      python(
        REFERENCE_DECRYPTOR,
        ['open-grant', '--recipient-key', path, '--sender-key', senderKey],
        Buffer.from(JSON.stringify(grant)),
      ),
    );
  const termsOf = (grant: Grant) => ({
    senderId: grant.senderId,
    recipientId: grant.recipientId,
    ownerId: grant.ownerId,
    nodeId: grant.nodeId,
    kind: grant.kind,
    role: grant.role,
  });

  it.each(vectors.grant)('verifies the signature of grant $name and opens it', async (vector) => {
    const sender = await keyPairFromJwk(vector.senderSigningKey as VectorJwk, 'ECDSA');
    const senderKey = encodeBase64url(await exportPublicKey(sender.publicKey));
    const result = await openGrantInPython(vector.grant, vector.recipientSharingKey, senderKey);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({
      ...termsOf(vector.grant as Grant),
      nodeKey: vector.nodeKey,
    });
  });

  it('opens a grant made now, and refuses it altered, swapped or checked against another key', async () => {
    const [alice, bob, mallory] = await Promise.all([
      generateAccountKeyPairs(),
      generateAccountKeyPairs(),
      generateAccountKeyPairs(),
    ]);
    const nodeKey = generateNodeKey();
    const terms: GrantTerms = {
      senderId: crypto.randomUUID(),
      recipientId: crypto.randomUUID(),
      ownerId: crypto.randomUUID(),
      nodeId: crypto.randomUUID(),
      kind: 'file',
      role: 'editor',
    };
    const recipientSharingKey = await exportPublicKey(bob.sharing.publicKey);
    const make = () => makeGrant({ terms, nodeKey, senderSigningKey: alice.signing.privateKey, recipientSharingKey });
    const [grant, other] = await Promise.all([make(), make()]);
    const bobJwk = await crypto.subtle.exportKey('jwk', bob.sharing.privateKey);
    const aliceKey = encodeBase64url(await exportPublicKey(alice.signing.publicKey));
    const opened = await openGrantInPython(grant, bobJwk, aliceKey);
    expect(opened.stderr).toBe('');
    expect(JSON.parse(opened.stdout.toString('utf8'))).toEqual({
      ...termsOf(grant),
      nodeKey: encodeBase64url(nodeKey),
    });

    const refusals: [string, unknown, string][] = [
      ['a role changed', { ...grant, role: 'viewer' }, aliceKey],
      ['an ephemeral key swapped', { ...grant, ephemeralPublicKey: other.ephemeralPublicKey }, aliceKey],
      ['another sender key', grant, encodeBase64url(await exportPublicKey(mallory.signing.publicKey))],
    ];
    for (const [what, altered, senderKey] of refusals) {
      const result = await openGrantInPython(altered, bobJwk, senderKey);
      expect(result.status, what).toBe(1);
      expect(result.stderr, what).toMatch(/^coffer_decrypt: GRANT_SIGNATURE_INVALID: /);
    }
  });

  const openLinkInPython = (
    vector: (typeof vectors.link)[number],
    password?: string,
    fragment: string = vector.fragment,
  ) => {
    const args = ['open-link', `--fragment=${fragment}`, '--link-id', vector.linkId];
    if (password === undefined) return python(REFERENCE_DECRYPTOR, args, Buffer.from(vector.wrapped));
    return withFile(password, (path) =>
      python(REFERENCE_DECRYPTOR, [...args, '--password-file', path], Buffer.from(vector.wrapped)),
    );
  };

  it.each(vectors.link)('derives the keys of link $name and opens its wrap', async (vector) => {
    const result = await openLinkInPython(vector, vector.password);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({
      ownerId: vector.ownerId,
      nodeId: vector.nodeId,
      kind: vector.kind,
      nodeKey: vector.nodeKey,
      accessTokenHash: vector.accessTokenHash,
    });
  });

  it('refuses the password link without its password and with a wrong one, and follows the password mark of the fragment', async () => {
    const vector = vectors.link.find((v) => v.password !== undefined)!;
    const without = await openLinkInPython(vector);
    expect(without.status).toBe(1);
    expect(without.stderr).toMatch(/^coffer_decrypt: LINK_PASSWORD_MISMATCH: the link was made with a password/);
    const unmarked = await openLinkInPython(vector, undefined, vector.secret);
    expect(unmarked.status).toBe(1);
    expect(unmarked.stderr).toMatch(
      /^coffer_decrypt: WRAPPED_KEY_INVALID: the link does not open without its password/,
    );
    const noPasswordLink = vectors.link.find((v) => v.password === undefined)!;
    const given = await openLinkInPython(noPasswordLink, 'a password it never had');
    expect(given.status).toBe(1);
    expect(given.stderr).toMatch(/^coffer_decrypt: LINK_PASSWORD_MISMATCH: the link was made without a password/);
    const wrong = await openLinkInPython(vector, 'not the password');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^coffer_decrypt: WRAPPED_KEY_INVALID: wrong password/);
  });

  it.each(vectors.requestSeal)('opens the request-link seal $name with the owner key', async (vector) => {
    const open = (nodeId: string) =>
      withFile(JSON.stringify(vector.ownerSharingKey), (path) => {
        const args = ['--owner-key', path, '--owner-id', vector.ownerId, '--node-id', nodeId];
        const request = ['--request-link-id', vector.requestLinkId];
        return python(
          REFERENCE_DECRYPTOR,
          ['open-request-seal', ...args, ...request],
          Buffer.from(JSON.stringify(vector.seal)),
        );
      });
    const result = await open(vector.nodeId);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({ fileKey: vector.fileKey });
    const elsewhere = await open(crypto.randomUUID());
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toMatch(/^coffer_decrypt: WRAPPED_KEY_INVALID: /);
  });

  it.each(vectors.requestTerms)("verifies the owner's signature over the request terms $name", async (vector) => {
    const signingKey = encodeBase64url(await publicKeySpki(vector.ownerSigningKey as VectorJwk));
    const terms = (message: string) =>
      Buffer.from(
        JSON.stringify({
          requestLinkId: vector.requestLinkId,
          ownerId: vector.ownerId,
          folderId: vector.folderId,
          message,
          signature: vector.signature,
        }),
      );
    const verify = (message: string) =>
      python(REFERENCE_DECRYPTOR, ['verify-request-terms', '--signing-key', signingKey], terms(message));
    const result = await verify(vector.message);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({ verified: true, message: vector.message });
    const altered = await verify(`${vector.message}!`);
    expect(altered.status).toBe(1);
    expect(altered.stderr).toMatch(/^coffer_decrypt: REQUEST_MESSAGE_INVALID: /);
  });
});

describe('tools/coffer_check_vectors.py runs every vector through the reference decryptor', () => {
  const CHECKER = 'tools/coffer_check_vectors.py';
  const sections = Object.entries(vectors).filter(([, value]) => Array.isArray(value));
  const count = sections.reduce((sum, [, value]) => sum + (value as unknown[]).length, 0);

  it('passes every vector of every section', async () => {
    const result = await python(CHECKER, ['tests/vectors/coffer.json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.toString('utf8')).toBe(`${count} vectors passed\n`);
  });

  it('fails on a vector whose expected values differ from what the format gives', async () => {
    const altered = structuredClone(vectors) as unknown as {
      metadata: { name: string; expected: object }[];
      account: { recovery: { refused: string[]; code: string } }[];
      thumbnail: { name: string; expected: object }[];
      stream: { plaintextSize: number }[];
      exportArchive: { opened: { path: string }[] }[];
    };
    altered.metadata.find((vector) => vector.name === 'duplicate-key')!.expected = {
      metadata: { name: 'second' },
    };
    altered.metadata.find((vector) => vector.name === 'name-only-unicode-white-space')!.expected = {
      metadata: { name: ' ' },
    };
    altered.account[0]!.recovery.refused.push(altered.account[0]!.recovery.code);
    altered.thumbnail.find((vector) => vector.name === 'another-revision')!.expected = { image: '' };
    altered.stream[0]!.plaintextSize += 1;
    altered.exportArchive[0]!.opened[0]!.path = 'Elsewhere';
    const result = await withVectorsFile(altered, (path) => python(CHECKER, [path]));
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const name of ["metadata 'duplicate-key'", "metadata 'name-only-unicode-white-space'"]) {
      expect(lines.some((line) => line.startsWith(`coffer_check_vectors: ${name}: `))).toBe(true);
    }
    expect(lines.some((line) => line.startsWith("coffer_check_vectors: account 'account': "))).toBe(true);
    expect(lines.some((line) => line.startsWith("coffer_check_vectors: thumbnail 'another-revision': "))).toBe(true);
    expect(lines.some((line) => line.startsWith("coffer_check_vectors: stream 'worked-example': "))).toBe(true);
    expect(lines.some((line) => line.startsWith("coffer_check_vectors: exportArchive 'export-archive': "))).toBe(true);
  });
});

describe('tools/coffer_decrypt.py opens an account, its metadata and its sealed texts (FORMAT.md 4.7, 5)', () => {
  const [account] = vectors.account;
  const bundle = {
    userId: account!.userId,
    recoveryWrap: { salt: account!.recovery.salt, wrapped: account!.recovery.wrapped },
    passphraseWrap: { ...account!.passphrase.params, wrapped: account!.passphrase.wrapped },
    privateKeys: { sharing: account!.privateKeys.sharing.wrapped, signing: account!.privateKeys.signing.wrapped },
    publicKeys: account!.publicKeys,
  };
  const openAccount = (option: string, secret: string, published = bundle) =>
    withTextFile(secret, (path) =>
      python(REFERENCE_DECRYPTOR, ['open-account', option, path], Buffer.from(JSON.stringify(published))),
    );

  it.each([
    ['--recovery-code-file', account!.recovery.typed[0]!],
    ['--passphrase-file', account!.passphrase.passphrase],
  ])('opens the account vector with %s to its master key, private keys and fingerprint', async (option, secret) => {
    const result = await openAccount(option, secret);
    expect(result.stderr).toBe('');
    const pkcs8 = (hex: string) => encodeBase64url(Buffer.from(hex, 'hex'), { padding: false });
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({
      userId: account!.userId,
      masterKey: account!.masterKey,
      sharingPrivateKey: pkcs8(account!.privateKeys.sharing.pkcs8),
      sharingPublicKey: account!.publicKeys.sharing,
      signingPrivateKey: pkcs8(account!.privateKeys.signing.pkcs8),
      signingPublicKey: account!.publicKeys.signing,
      fingerprint: account!.fingerprint,
    });
  });

  it('refuses a mistyped recovery code, a wrong passphrase and public keys that are not the private keys', async () => {
    const mistyped = await openAccount('--recovery-code-file', account!.recovery.code.slice(1));
    expect(mistyped.stderr).toMatch(/^coffer_decrypt: BAD_RECOVERY_CODE: /);
    const wrong = await openAccount('--passphrase-file', 'not the passphrase');
    expect(wrong.stderr).toMatch(/^coffer_decrypt: WRAPPED_KEY_INVALID: /);
    const swapped = {
      ...bundle,
      publicKeys: { sharing: account!.publicKeys.signing, signing: account!.publicKeys.sharing },
    };
    const result = await openAccount('--recovery-code-file', account!.recovery.code, swapped);
    expect(result.stderr).toMatch(/^coffer_decrypt: PUBLIC_KEY_MISMATCH: /);
  });

  it('opens metadata under its rules and refuses it elsewhere', async () => {
    const vector = vectors.metadata.find((candidate) => candidate.name === 'file')!;
    const args = ['open-metadata', '--node-key', vector.nodeKey, '--kind', 'file', '--node-id', vector.nodeId];
    const open = (parentId: string) =>
      python(REFERENCE_DECRYPTOR, [...args, '--parent-id', parentId], Buffer.from(vector.token));
    const opened = await open(vector.parentId!);
    expect(opened.stderr).toBe('');
    expect(JSON.parse(opened.stdout.toString('utf8'))).toEqual(vector.expected.metadata);
    const moved = await open(crypto.randomUUID());
    expect(moved.stderr).toMatch(/^coffer_decrypt: METADATA_INVALID: /);
  });

  it.each([
    ['name-with-right-to-left-override', 'the name contains an invisible control character (U+202E)'],
    ['duplicate-key', 'a key is given twice'],
    ['revision-above-u32', 'revision is a whole number from 0 to 4294967295'],
  ])('refuses the metadata vector %s, saying why', async (name, why) => {
    const vector = vectors.metadata.find((candidate) => candidate.name === name)!;
    const args = ['open-metadata', '--node-key', vector.nodeKey, '--kind', vector.kind, '--node-id', vector.nodeId];
    const result = await python(
      REFERENCE_DECRYPTOR,
      [...args, '--parent-id', vector.parentId!],
      Buffer.from(vector.token),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`METADATA_INVALID: `);
    expect(result.stderr).toContain(`(${why})`);
  });

  it.each(vectors.sealedText)('opens the sealed text $name', async (vector) => {
    const args = ['--key', vector.wrappingSecret, '--purpose', vector.purpose, '--owner', vector.owner];
    const result = await python(
      REFERENCE_DECRYPTOR,
      ['open-sealed-text', ...args, '--object', vector.object],
      Buffer.from(vector.sealed),
    );
    expect(result.stderr).toBe('');
    // The contacts and the accepted shares come with the revision sealed in them (FORMAT.md section 4).
    const revision = 'listRevision' in vector ? { revision: vector.listRevision } : {};
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({ text: vector.text, ...revision });
  });
});

async function withTextFile<T>(contents: string, work: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-interop-'));
  try {
    const path = join(dir, 'input');
    await writeFile(path, contents);
    return await work(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function withVectorsFile<T>(contents: unknown, work: (path: string) => Promise<T>): Promise<T> {
  return withTextFile(JSON.stringify(contents), work);
}
describe('tools/coffer_decrypt.py checks author signatures (FORMAT.md 5.2)', () => {
  const verifyInPython = (signedNode: unknown, authorKey: string) =>
    python(REFERENCE_DECRYPTOR, ['verify-author', '--author-key', authorKey], Buffer.from(JSON.stringify(signedNode)));
  const authorKeyOf = async (jwk: VectorJwk) =>
    encodeBase64url(await exportPublicKey((await keyPairFromJwk(jwk, 'ECDSA')).publicKey));

  it.each(vectors.nodeAuthor)('builds the signed bytes of $name and verifies its signature', async (vector) => {
    const result = await verifyInPython(vector, await authorKeyOf(vector.signingKey as VectorJwk));
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.toString('utf8'))).toEqual({
      signedBytes: vector.signedBytes,
      action: vector.authorSignature.action,
      authorId: vector.statement.authorId,
      nodeId: vector.statement.nodeId,
    });
  });

  it('refuses the vector credited to another author, moved, altered, or checked with another key', async () => {
    const [vector] = vectors.nodeAuthor;
    const authorKey = await authorKeyOf(vector!.signingKey as VectorJwk);
    const otherKey = encodeBase64url(await exportPublicKey((await generateAccountKeyPairs()).signing.publicKey));
    const { statement } = vector!;
    const metadata = decodeBase64url(statement.encryptedMetadata);
    metadata[0]! ^= 1;
    const refusals: [string, unknown, string][] = [
      ['another author', { ...vector, statement: { ...statement, authorId: statement.ownerId } }, authorKey],
      ['another parent', { ...vector, statement: { ...statement, parentId: statement.nodeId } }, authorKey],
      [
        'altered metadata',
        { ...vector, statement: { ...statement, encryptedMetadata: encodeBase64url(metadata) } },
        authorKey,
      ],
      ['another key', vector, otherKey],
    ];
    for (const [what, altered, key] of refusals) {
      const result = await verifyInPython(altered, key);
      expect(result.status, what).toBe(1);
      expect(result.stderr, what).toMatch(/^coffer_decrypt: AUTHOR_SIGNATURE_INVALID: /);
    }
  });
});

describe('tools/coffer_decrypt.py checks folder manifests (FORMAT.md 5.3)', () => {
  const verifyInPython = (signedFolder: unknown, writerKey: string) =>
    python(
      REFERENCE_DECRYPTOR,
      ['verify-manifest', '--writer-key', writerKey],
      Buffer.from(JSON.stringify(signedFolder)),
    );
  const writerKeyOf = async (jwk: VectorJwk) =>
    encodeBase64url(await exportPublicKey((await keyPairFromJwk(jwk, 'ECDSA')).publicKey));

  it('builds the signed bytes of each vector and verifies its signature', async () => {
    for (const vector of vectors.folderManifest) {
      const result = await verifyInPython(vector, await writerKeyOf(vector.signingKey as VectorJwk));
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout.toString('utf8'))).toMatchObject({
        signedBytes: vector.signedBytes,
        version: vector.manifest.version,
      });
    }
  });

  it('refuses each refusal vector with its error', async () => {
    for (const vector of vectors.folderManifestRefusal) {
      const result = await verifyInPython(vector, await writerKeyOf(vector.signingKey as VectorJwk));
      expect(result.status, vector.name).toBe(1);
      expect(result.stderr, vector.name).toMatch(new RegExp(`^coffer_decrypt: ${vector.error}: `));
    }
  });

  it('refuses the vector rolled back, with a child hidden or added, or checked with another key', async () => {
    const vector = vectors.folderManifest.find(({ children }) => children.length > 0)!;
    const writerKey = await writerKeyOf(vector.signingKey as VectorJwk);
    const otherKey = encodeBase64url(await exportPublicKey((await generateAccountKeyPairs()).signing.publicKey));
    const { manifest } = vector;
    const planted = { id: vector.ownerId, digest: manifest.children[0]!.digest };
    const refusals: [string, unknown, string][] = [
      ['an older version', { ...vector, manifest: { ...manifest, version: manifest.version - 1 } }, writerKey],
      ['a child hidden', { ...vector, manifest: { ...manifest, children: manifest.children.slice(1) } }, writerKey],
      ['a child added', { ...vector, manifest: { ...manifest, children: [...manifest.children, planted] } }, writerKey],
      ['another key', vector, otherKey],
    ];
    for (const [what, altered, key] of refusals) {
      const result = await verifyInPython(altered, key);
      expect(result.status, what).toBe(1);
      expect(result.stderr, what).toMatch(/^coffer_decrypt: FOLDER_MANIFEST_INVALID: /);
    }
  });
});

describe('tools/coffer_decrypt.py checks editor rosters (FORMAT.md 5.4)', () => {
  const verifyInPython = (signedRoster: unknown, ownerKey: string) =>
    python(REFERENCE_DECRYPTOR, ['verify-roster', '--owner-key', ownerKey], Buffer.from(JSON.stringify(signedRoster)));
  const ownerKeyOf = async (jwk: VectorJwk) =>
    encodeBase64url(await exportPublicKey((await keyPairFromJwk(jwk, 'ECDSA')).publicKey));

  it('builds the signed bytes of each vector and verifies its signature', async () => {
    for (const vector of vectors.editorRoster) {
      const result = await verifyInPython(vector, await ownerKeyOf(vector.signingKey as VectorJwk));
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout.toString('utf8'))).toMatchObject({
        signedBytes: vector.signedBytes,
        version: vector.roster.version,
      });
    }
  });

  it('refuses each refusal vector with its error, and a roster checked with another key', async () => {
    for (const vector of vectors.editorRosterRefusal) {
      const result = await verifyInPython(vector, await ownerKeyOf(vector.signingKey as VectorJwk));
      expect(result.status, vector.name).toBe(1);
      expect(result.stderr, vector.name).toMatch(new RegExp(`^coffer_decrypt: ${vector.error}: `));
    }
    const otherKey = encodeBase64url(await exportPublicKey((await generateAccountKeyPairs()).signing.publicKey));
    const result = await verifyInPython(vectors.editorRoster[0], otherKey);
    expect(result.stderr).toMatch(/^coffer_decrypt: EDITOR_ROSTER_INVALID: /);
  });
});
