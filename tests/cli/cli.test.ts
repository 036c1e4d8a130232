import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decodeBase64url, decryptBytes, encodeBase64url, generateKey, uuidToBytes } from '../../shared/crypto/index.ts';
import { toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { patternBytes } from '../vectors/pattern.ts';
import { expectBytes } from '../crypto/assertions.ts';
import { makeTamperFixture, TAMPER_CASES } from '../crypto/tamper-cases.ts';
import { coffer } from '../run-command.ts';

function temporaryDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-cli-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const oneLineError = (stderr: string, code: string) => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(new RegExp(`^coffer: ${code}: `));
};

describe('coffer encrypt / decrypt', () => {
  it.each(vectors.stream)('decrypts vector $name', async (vector) => {
    const args = [
      'decrypt',
      '--key',
      vector.fileKey,
      '--file-id',
      vector.fileId,
      '--revision',
      String(vector.revision),
    ];
    const result = await coffer(args, decodeBase64url(vector.ciphertext));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expectBytes(result.stdout, patternBytes(vector.plaintextSize));
  });

  it('encrypts what the library decrypts, with the file id and revision given', async () => {
    const key = generateKey();
    const fileId = '0a1b2c3d-0000-4000-8000-00000000abcd';
    const plaintext = patternBytes(700_000);
    const result = await coffer(
      ['encrypt', '--key', encodeBase64url(key), '--file-id', fileId, '--revision', '9'],
      plaintext,
    );
    expect(result.status).toBe(0);
    const decrypted = await decryptBytes(result.stdout, {
      fileKey: key,
      expected: { fileId: uuidToBytes(fileId), revision: 9 },
    });
    expectBytes(decrypted, plaintext);
  });

  it.each(TAMPER_CASES)('refuses with one line and a non-zero exit: $name', async (tamper) => {
    const fixture = await makeTamperFixture();
    const key = encodeBase64url(fixture.fileKey);
    const result = await coffer(
      ['decrypt', '--key', key, '--file-id', toHex(fixture.fileId), '--revision', String(fixture.revision)],
      tamper.make(fixture),
    );
    expect(result.status).toBe(1);
    oneLineError(result.stderr, tamper.expected);
  });

  it('writes --output only when every chunk was authenticated', async () => {
    const dir = temporaryDirectory();
    const fixture = await makeTamperFixture();
    const key = encodeBase64url(fixture.fileKey);
    const truncated = TAMPER_CASES.find((c) => c.name === 'final chunk dropped')!.make(fixture);
    const failed = await coffer(['decrypt', '--key', key, '-o', join(dir, 'out.bin')], truncated);
    expect(failed.status).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    const ok = await coffer(['decrypt', '--key', key, '-o', join(dir, 'out.bin')], fixture.original);
    expect(ok.status).toBe(0);
    expect(readdirSync(dir)).toEqual(['out.bin']);
    expectBytes(readFileSync(join(dir, 'out.bin')), fixture.plaintext);
  });

  it('reads the key from a file, and accepts keys that start with "-"', async () => {
    const dir = temporaryDirectory();
    let key = generateKey();
    while (!encodeBase64url(key).startsWith('-')) key = generateKey();
    writeFileSync(join(dir, 'key'), encodeBase64url(key) + '\n');
    const encrypted = await coffer(['encrypt', '--key', encodeBase64url(key)], patternBytes(10));
    expect(encrypted.status).toBe(0);
    const decrypted = await coffer(['decrypt', '--key-file', join(dir, 'key')], encrypted.stdout);
    expect(decrypted.stderr).toBe('');
    expectBytes(decrypted.stdout, patternBytes(10));
  });
});

describe('coffer fernet', () => {
  it('round-trips and honours --ttl', async () => {
    const key = encodeBase64url(generateKey());
    const token = await coffer(['fernet', 'encrypt', '--key', key], patternBytes(1000));
    expect(token.stdout.toString()).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*\n$/);
    const plaintext = await coffer(['fernet', 'decrypt', '--key', key, '--ttl', '60'], token.stdout);
    expectBytes(plaintext.stdout, patternBytes(1000));
  });

  it('refuses expired tokens with --ttl', async () => {
    const key = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
    const old = Buffer.from(
      'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==',
    );
    const result = await coffer(['fernet', 'decrypt', '--key', key, '--ttl', '60'], old);
    expect(result.status).toBe(1);
    oneLineError(result.stderr, 'TOKEN_EXPIRED');
    expect((await coffer(['fernet', 'decrypt', '--key', key], old)).stdout.toString()).toBe('hello');
  });
});

describe('bad input', () => {
  const key = encodeBase64url(generateKey());
  const cases: [string, string[], string, number, string][] = [
    ['a short key', ['decrypt', '--key', 'c2hvcnQ='], '', 1, 'BAD_KEY'],
    ['a key that is not base64url', ['decrypt', '--key', 'a+b/c'], '', 1, 'BAD_BASE64'],
    ['a corrupt Fernet token', ['fernet', 'decrypt', '--key', key], 'gAAAAAB%%%', 1, 'BAD_BASE64'],
    [
      'a Fernet token under another key',
      ['fernet', 'decrypt', '--key', key],
      'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==',
      1,
      'TOKEN_INVALID',
    ],
    ['a stream that is not Coffer', ['decrypt', '--key', key], 'x'.repeat(200), 1, 'HEADER_MALFORMED'],
  ];
  it.each(cases)('refuses %s', async (_, args, input, status, code) => {
    const result = await coffer(args, Buffer.from(input));
    expect(result.status).toBe(status);
    oneLineError(result.stderr, code);
    expect(result.stdout.length).toBe(0);
  });

  it.each([
    [['frob']],
    [['decrypt']],
    [['encrypt', '--key', key, '--revision', 'x']],
    [['encrypt', '--key', key, '--chunk-size', '12']],
    [['decrypt', '--key', key, '--bogus']],
    [['decrypt', '--key', key, '--file-id', 'not-a-uuid']],
  ])('usage errors exit non-zero with one line: %j', async (args) => {
    const result = await coffer(args, new Uint8Array(0));
    expect(result.status).not.toBe(0);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^coffer: /);
  });
});
