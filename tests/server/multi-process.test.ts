/**
 * Two built server processes (`npm run build` first) on one fresh Postgres database and one Ceph RGW, as behind a load
 * balancer without sticky sessions: whatever one process begins, counts or stores, the other sees. Both start at once,
 * so that they also run the migrations at once. Ceph takes about 15 s to start; without it installed this fails,
 * saying how to install it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64url, exportPublicKey, generateAccountKeyPairs } from '../../shared/crypto/index.ts';
import type { UploadRecord } from '../../shared/api/responses.ts';
import { createBucket, startCephRgw, type CephRgw } from '../../tools/harness/ceph-rgw.ts';
import { waitForListening } from '../../tools/harness/server-process.ts';
import { createPostgresDatabase } from '../../tools/harness/test-databases.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { ROOT } from '../run-command.ts';
import { TestBrowser, type Served } from './browser.ts';
import {
  createRoot,
  download,
  encryptFile,
  fails,
  json,
  ok,
  putChunk,
  randomMetadata,
  startUpload,
  uploadFile,
  type UploadInfo,
} from './client.ts';
import { ORIGIN, type TestUser } from './harness.ts';
import { signIn, signUp } from './passkey-accounts.ts';
import { shareAccepted, type SharingUser } from './sharing-accounts.ts';

/** Low enough to reach in a few dozen requests; each flow below has an account (and an address) of its own. */
const RATE_LIMIT_PER_SECOND = 3;
const BURST = RATE_LIMIT_PER_SECOND * 5;
const LOCKOUT_THRESHOLD = 3;
const LOCKOUT_BASE_SECONDS = 2;

interface Coffer extends Served {
  child: ChildProcessWithoutNullStreams;
  dataDir: string;
}

let rgw: CephRgw | undefined;
let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
let a: Coffer;
let b: Coffer;
const started: Coffer[] = [];

async function startCoffer(env: Record<string, string>): Promise<Coffer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'coffer-multi-'));
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const listening = waitForListening(child);
  const coffer: Coffer = { child, dataDir, app: { request: () => Promise.reject(new Error('not listening yet')) } };
  started.push(coffer);
  const url = await listening;
  coffer.app = { request: (path, init) => fetch(url + path, init) };
  return coffer;
}

beforeAll(async () => {
  [rgw, database] = await Promise.all([startCephRgw(), createPostgresDatabase()]);
  const bucket = `coffer-multi-${Date.now()}`;
  await createBucket(rgw, bucket);
  const env = {
    DATABASE_URL: database.url,
    BLOB_STORE: 's3',
    S3_ENDPOINT: rgw.endpoint,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: rgw.accessKeyId,
    S3_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    PUBLIC_ORIGIN: ORIGIN,
    REGISTRATION: 'open',
    // Each flow names its client address, as a proxy in front would.
    TRUST_PROXY: '1',
    RATE_LIMIT_PER_SECOND: String(RATE_LIMIT_PER_SECOND),
    LOCKOUT_THRESHOLD: String(LOCKOUT_THRESHOLD),
    LOCKOUT_BASE_SECONDS: String(LOCKOUT_BASE_SECONDS),
  };
  [a, b] = await Promise.all([startCoffer(env), startCoffer(env)]);
}, 180_000);

afterAll(async () => {
  for (const { child, dataDir } of started) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(dataDir, { recursive: true, force: true });
  }
  await database?.drop();
  await rgw?.stop();
}, 60_000);

let lastAddress = 0;

/** A browser at an address of its own, talking to whichever process it is pointed at. */
class BrowserAt extends TestBrowser {
  readonly address = `198.51.100.${++lastAddress}`;

  override request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = { ...(init.headers as Record<string, string>), 'x-forwarded-for': this.address };
    return super.request(path, { ...init, headers });
  }

  /** The signed-in user as the upload helpers take it, through `server`. */
  userOn(server: Served, id: string): TestUser {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return {
      id,
      cookie,
      request: (path, init = {}) =>
        Promise.resolve(
          server.app.request(path, {
            ...init,
            headers: {
              cookie,
              origin: ORIGIN,
              'x-forwarded-for': this.address,
              ...(init.headers as Record<string, string>),
            },
          }),
        ),
    };
  }
}

/** An account with real key pairs published at sign-up, through `server`, that can sign and open grants. */
async function sharingUserAt(server: Coffer) {
  const browser = new BrowserAt(server);
  const keys = await generateAccountKeyPairs();
  const publicKeys = {
    sharing: encodeBase64url(await exportPublicKey(keys.sharing.publicKey)),
    signing: encodeBase64url(await exportPublicKey(keys.signing.publicKey)),
  };
  const { bundle } = await signUp(browser, { publicKeys });
  return {
    id: bundle.userId,
    keys,
    on: (via: Served): SharingUser => ({ ...browser.userOn(via, bundle.userId), keys }),
  };
}

/** Ceremonies begun (their options) on one process and finished on the other. */
const across = (begin: Served, finish: Served): Served => ({
  app: { request: (path, init) => (path.endsWith('/options') ? begin : finish).app.request(path, init) },
});

describe('two server processes on one database and one S3 store', () => {
  it('finish a sign-up begun on the other, and honour each other’s sessions', async () => {
    const browser = new BrowserAt(across(a, b), new SoftAuthenticator(ORIGIN));
    const { bundle } = await signUp(browser);
    browser.h = a;
    expect(await ok<{ userId: string }>(browser.request('/api/account'))).toMatchObject({ userId: bundle.userId });
    browser.h = across(b, a);
    await ok(browser.post('/api/account/sign-out'), 204);
    await ok(signIn(browser));
    browser.h = b;
    await ok(browser.request('/api/usage'));
  });

  it('serve through one the files uploaded through the other, chunked and batched', async () => {
    const browser = new BrowserAt(a);
    const { bundle } = await signUp(browser);
    const viaA = browser.userOn(a, bundle.userId);
    const viaB = browser.userOn(b, bundle.userId);
    const root = await createRoot(viaA);

    const chunked = await encryptFile(crypto.getRandomValues(new Uint8Array(3000)), { chunkSize: 1024 });
    const { revisionId } = await uploadFile(viaA, chunked, root);
    const fromB = await download(viaB, revisionId);
    expect(fromB.response.status).toBe(200);
    expect(Buffer.from(fromB.bytes).equals(Buffer.from(chunked.ciphertext))).toBe(true);

    const small = await encryptFile(crypto.getRandomValues(new Uint8Array(500)), { chunkSize: 1024 });
    const file = {
      nodeId: small.nodeId,
      newFile: { parentId: root, wrappedKey: 'gAAAAA' + 'A'.repeat(200), encryptedMetadata: randomMetadata() },
      header: encodeBase64url(small.header),
      chunk: encodeBase64url(small.chunks[0]!),
    };
    const { files } = await ok<{ files: { status: number; revisionId: string }[] }>(
      viaB.request('/api/uploads/batch', json({ files: [file] })),
    );
    expect(files.map((answer) => answer.status)).toEqual([201]);
    const fromA = await download(viaA, files[0]!.revisionId);
    expect(Buffer.from(fromA.bytes).equals(Buffer.from(small.ciphertext))).toBe(true);
  });

  it('carry on an upload begun on the other: its chunks split between them, resumed and completed across', async () => {
    const browser = new BrowserAt(a);
    const { bundle } = await signUp(browser);
    const viaA = browser.userOn(a, bundle.userId);
    const viaB = browser.userOn(b, bundle.userId);
    const root = await createRoot(viaA);
    const file = await encryptFile(crypto.getRandomValues(new Uint8Array(4000)), { chunkSize: 1024 });
    expect(file.chunks.length).toBe(4);

    const upload = await startUpload(viaA, file, root);
    await ok(putChunk(viaA, upload.uploadId, 0, file.chunks[0]!), 204);
    await ok(putChunk(viaB, upload.uploadId, 2, file.chunks[2]!), 204);
    // A client resuming after a reload asks whichever process it reaches what is still missing.
    const seenByA = await ok<UploadRecord>(viaA.request(`/api/uploads/${upload.uploadId}`));
    const seenByB = await ok<UploadRecord>(viaB.request(`/api/uploads/${upload.uploadId}`));
    expect(seenByA.received).toEqual([0, 2]);
    expect(seenByB.received).toEqual([0, 2]);
    await ok(putChunk(viaA, upload.uploadId, 1, file.chunks[1]!), 204);
    await ok(putChunk(viaB, upload.uploadId, 3, file.chunks[3]!), 204);
    const { revisionId } = await ok<UploadInfo>(
      viaB.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }),
    );
    const fromA = await download(viaA, revisionId);
    expect(Buffer.from(fromA.bytes).equals(Buffer.from(file.ciphertext))).toBe(true);
  });

  it('share through one a folder made through the other, and end it through either', async () => {
    const sharer = await sharingUserAt(a);
    const recipient = await sharingUserAt(b);
    const folder = await createRoot(sharer.on(a));
    const file = await encryptFile(crypto.getRandomValues(new Uint8Array(2000)), { chunkSize: 1024 });
    const { revisionId } = await uploadFile(sharer.on(a), file, folder);

    const share = await shareAccepted(sharer.on(b), recipient.on(a), folder);
    const fromB = await download(recipient.on(b), revisionId);
    expect(fromB.response.status).toBe(200);
    expect(Buffer.from(fromB.bytes).equals(Buffer.from(file.ciphertext))).toBe(true);

    await ok(sharer.on(a).request(`/api/shares/${share.id}`, { method: 'DELETE' }), 204);
    await fails(recipient.on(b).request(`/api/revisions/${revisionId}/content`), 404, 'NOT_FOUND');
  });

  it('count requests to both against one rate limit', async () => {
    const browser = new BrowserAt(a);
    const { bundle } = await signUp(browser);
    const both = [browser.userOn(a, bundle.userId), browser.userOn(b, bundle.userId)];
    // Three bursts' worth at once, half to each: each process counting alone would let two bursts through. (Four
    // would pass the address's limit, four bursts, with the sign-up's requests.)
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 3 * BURST }, async (_, i) => {
        const response = await both[i % 2]!.request('/api/usage');
        if (response.status !== 429) await ok(response);
        else {
          expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          expect(await fails(response, 429, 'RATE_LIMITED')).toContain('this account');
        }
        return { via: i % 2, status: response.status };
      }),
    );
    const refilled = Math.floor(((performance.now() - started) / 1000) * RATE_LIMIT_PER_SECOND);
    const passed = answers.filter((answer) => answer.status === 200).length;
    expect(passed).toBeGreaterThanOrEqual(BURST);
    expect(passed).toBeLessThanOrEqual(BURST + refilled);
    const refusedBy = new Set(answers.filter((answer) => answer.status === 429).map((answer) => answer.via));
    expect(refusedBy).toEqual(new Set([0, 1]));
  });

  it('lock an account out after failures split between them, and release it after its time', async () => {
    const browser = new BrowserAt(a);
    await signUp(browser);
    await ok(browser.post('/api/account/sign-out'), 204);
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) {
      browser.h = i % 2 === 0 ? a : b;
      await fails(signIn(browser, { origin: 'https://coffer.example.evil' }), 401, 'WEBAUTHN_REFUSED');
    }
    browser.h = b;
    const locked = await signIn(browser);
    await fails(locked, 429, 'LOCKED_OUT');
    // Whole seconds until the lockout ends, counted from the third failure a moment ago.
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_BASE_SECONDS);
    await sleep(retryAfter * 1000);
    browser.h = a;
    await ok(signIn(browser));
  });
});
