/**
 * Malformed and hostile requests get a 4xx with the error contract, never a 5xx. Requests are drawn from a seeded
 * generator (the seed is in the test name, so a failure can be replayed) over every route and every kind of bad
 * input: wrong types, missing and extra fields, huge bodies, bad ids, out-of-range indexes and other users' ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/api/schemas.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { createRoot, createUploadRequest, encryptFile, startUpload, uploadFile } from './client.ts';
import { ORIGIN, createHarness, type Harness, type TestUser } from './harness.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

const SEED = 20261124;
const REQUESTS = 400;

function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

describe.each(DATABASE_KINDS)('fuzzed requests on %s', (kind) => {
  let h: Harness;
  let alice: TestUser;
  let mallory: TestUser;
  const ids: Record<string, string> = {};
  let validUpload: Record<string, unknown>;

  beforeAll(async () => {
    h = await createHarness(kind);
    alice = await h.makeUser();
    mallory = await h.makeUser();
    ids.root = await createRoot(alice);
    const file = await encryptFile(patternBytes(3000));
    const done = await uploadFile(alice, file, ids.root);
    ids.file = file.nodeId;
    ids.revision = done.revisionId;
    const pending = await encryptFile(patternBytes(3000));
    ids.upload = (await startUpload(alice, pending, ids.root)).uploadId;
    validUpload = createUploadRequest(await encryptFile(patternBytes(500)), ids.root);
  });
  afterAll(() => h.close());

  it(`answers ${REQUESTS} generated requests with 4xx and the error contract (seed ${SEED})`, async () => {
    const random = generator(SEED);
    const badIds = [
      'x',
      '0',
      '-1',
      '../../etc/passwd',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      '%00',
      'é',
      'a'.repeat(5000),
      crypto.randomUUID(),
    ];
    // Encoded as a client would; a raw '/' in an id would just be another path.
    const anyId = () => encodeURIComponent(random.next() < 0.5 ? random.pick(Object.values(ids)) : random.pick(badIds));
    const indexes = ['0', '1', '2', '3', '99999999999', '-1', '1.5', 'NaN', '1e3', ''];
    const paths: (() => readonly [string, string])[] = [
      () => ['POST', '/api/uploads'] as const,
      () => ['GET', `/api/uploads/${anyId()}`] as const,
      () => ['PUT', `/api/uploads/${anyId()}/chunks/${random.pick(indexes)}`] as const,
      () => ['POST', `/api/uploads/${anyId()}/complete`] as const,
      () => ['DELETE', `/api/uploads/${anyId()}`] as const,
      () => ['GET', `/api/revisions/${anyId()}`] as const,
      () => ['GET', `/api/revisions/${anyId()}/content`] as const,
      () => ['GET', `/api/revisions/${anyId()}/chunks/${random.pick(indexes)}`] as const,
      () => ['GET', `/api/nodes/${anyId()}`] as const,
      () => ['GET', `/api/nodes/${anyId()}/children`] as const,
      () => ['POST', '/api/nodes/folders'] as const,
      () => ['PATCH', `/api/nodes/${anyId()}`] as const,
      () => ['POST', '/api/auth/sign-up/options'] as const,
      () => ['POST', '/api/auth/sign-up/verify'] as const,
      () => ['POST', '/api/auth/sign-in/options'] as const,
      () => ['POST', '/api/auth/sign-in/verify'] as const,
      () => ['POST', '/api/auth/recover'] as const,
      () => ['GET', '/api/account'] as const,
      () => ['POST', '/api/account/passkeys'] as const,
      () => ['PATCH', `/api/account/passkeys/${anyId()}`] as const,
      () => ['DELETE', `/api/account/passkeys/${anyId()}`] as const,
      () => ['DELETE', `/api/account/sessions/${anyId()}`] as const,
      () => ['PUT', '/api/account/passphrase'] as const,
    ];
    const values = [null, true, 0, -1, 1.5, 2 ** 60, '', 'x', 'A'.repeat(300), [], {}, [1, 2], { a: 1 }];
    const mutate = (base: Record<string, unknown>): unknown => {
      const choice = random.int(6);
      if (choice === 0) return random.pick(values);
      const keys = Object.keys(base);
      if (choice === 1 && keys.length > 0) {
        const dropped = random.pick(keys);
        return Object.fromEntries(Object.entries(base).filter(([key]) => key !== dropped));
      }
      const copy: Record<string, unknown> = structuredClone(base);
      if (choice === 2 || keys.length === 0) copy[`extra${random.int(3)}`] = random.pick(values);
      else copy[random.pick(keys)] = random.pick(values);
      return copy;
    };
    const credentialResponse = {
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA', attestationObject: 'oA' },
      clientExtensionResults: {},
    };
    const bodies = [
      () => JSON.stringify(mutate(validUpload)),
      () => JSON.stringify(mutate({ response: mutate(credentialResponse) })),
      () => JSON.stringify(mutate({ recoveryVerifier: 'A'.repeat(43) })),
      () =>
        JSON.stringify(
          mutate({
            id: crypto.randomUUID(),
            parentId: ids.root,
            wrappedKey: 'gAAAAA'.padEnd(200, 'A'),
            encryptedMetadata: 'AAAA',
          }),
        ),
      () => '{"truncated": ',
      () => 'not json at all',
      () => '',
      () => 'x'.repeat(LIMITS.jsonBodyBytes + 10),
      () => new Uint8Array(random.int(3000)),
    ];

    const failures: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const [method, path] = random.pick(paths)();
      const user = random.next() < 0.8 ? alice : mallory;
      const body = method === 'GET' || method === 'DELETE' ? undefined : random.pick(bodies)();
      const headers: Record<string, string> = { cookie: user.cookie };
      if (random.next() < 0.9) headers.origin = ORIGIN;
      if (typeof body === 'string') headers['content-type'] = random.next() < 0.9 ? 'application/json' : 'text/plain';
      if (random.next() < 0.2)
        headers.range = random.pick(['bytes=0-', 'bytes=-0', 'bytes=9-3', 'bytes=x', 'bytes=999999999-']);
      const response = await h.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      const ok =
        response.status < 500 &&
        (response.status < 400 || /^\{"error":\{"code":"[A-Z_]+","message":".+"\}\}$/.test(text));
      if (!ok) failures.push(`${method} ${path.slice(0, 80)} -> ${response.status} ${text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers path traversal outside the API with a JSON 404', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const response = await alice.request('/api/nodes/../../etc/passwd', { method });
      expect(response.status).toBeLessThan(500);
      if (method !== 'GET') expect((await response.json()) as unknown).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });

  it('names the limit when a JSON body is too large', async () => {
    const response = await alice.request('/api/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(LIMITS.jsonBodyBytes) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: { code: 'BODY_TOO_LARGE', message: `JSON request bodies are limited to ${LIMITS.jsonBodyBytes} bytes` },
    });
  });
});
