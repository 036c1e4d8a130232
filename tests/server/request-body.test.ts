/**
 * Upload bodies read straight from Node's request (server/http/request-body.ts): the app served by @hono/node-server
 * on a real socket, as `npm start` serves it, rather than through app.request().
 */
import { serve, type ServerType } from '@hono/node-server';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBody } from '../../server/http/request-body.ts';
import { expectBytes } from '../crypto/assertions.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { createRoot, download, encryptFile, fails, ok, putChunks, startUpload, type UploadInfo } from './client.ts';
import { createHarness, ORIGIN, type Harness, type TestUser } from './harness.ts';

async function listen(fetch: (request: Request, env: unknown) => Response | Promise<Response>) {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const close = (server: ServerType) => new Promise<void>((resolve) => server.close(() => resolve()));

/** What a handler saw of a body read through requestBody: its bytes, and whether every piece was Node's own Buffer. */
interface Seen {
  bytes: number[];
  nodeBuffers: boolean;
  error?: string;
}

describe('requestBody', () => {
  const app = new Hono().put('/', async (c) => {
    const seen: Seen = { bytes: [], nodeBuffers: true };
    try {
      for await (const piece of requestBody(c)!) {
        seen.bytes.push(...piece);
        seen.nodeBuffers &&= Buffer.isBuffer(piece);
      }
    } catch (error) {
      seen.error = (error as Error).message;
    }
    return c.json(seen);
  });

  it("reads Node's request without copying it, when Node serves the app", async () => {
    const { server, base } = await listen(app.fetch);
    try {
      const body = new Uint8Array(patternBytes(300_000));
      const seen = (await (await fetch(`${base}/`, { method: 'PUT', body })).json()) as Seen;
      expectBytes(new Uint8Array(seen.bytes), body);
      // Readable.toWeb would have copied each piece into a plain Uint8Array.
      expect(seen.nodeBuffers).toBe(true);
    } finally {
      await close(server);
    }
  });

  it('reads the web request when there is no Node request (app.request)', async () => {
    const body = new Uint8Array(patternBytes(5000));
    const seen = (await (await app.request('/', { method: 'PUT', body })).json()) as Seen;
    expectBytes(new Uint8Array(seen.bytes), body);
    expect(seen.nodeBuffers).toBe(false);
  });

  it('fails the stream when the client goes away in the middle of the body', async () => {
    let handled!: (seen: Seen) => void;
    const outcome = new Promise<Seen>((resolve) => (handled = resolve));
    const watched = new Hono().put('/', async (c) => {
      const seen: Seen = { bytes: [], nodeBuffers: true };
      try {
        for await (const piece of requestBody(c)!) seen.bytes.push(...piece);
      } catch (error) {
        seen.error = (error as Error).message;
      }
      handled(seen);
      return c.body(null, 204);
    });
    const { server, base } = await listen(watched.fetch);
    try {
      const client = httpRequest(`${base}/`, { method: 'PUT', headers: { 'content-length': '100000' } });
      client.on('error', () => undefined);
      client.write(new Uint8Array(1000));
      await new Promise((resolve) => setTimeout(resolve, 100));
      client.destroy();
      const seen = await outcome;
      expect(seen.bytes.length).toBe(1000);
      expect(seen.error).toMatch(/abort/i);
    } finally {
      await close(server);
    }
  });
});

describe('upload chunks through Node’s HTTP server', () => {
  let h: Harness;
  let server: ServerType;
  let alice: TestUser;
  let root: string;

  beforeAll(async () => {
    h = await createHarness('pglite');
    const listening = await listen(h.app.fetch);
    server = listening.server;
    const user = await h.makeUser();
    alice = {
      ...user,
      request: (path, init = {}) =>
        fetch(`${listening.base}${path}`, {
          ...init,
          headers: { cookie: user.cookie, origin: ORIGIN, ...(init.headers as Record<string, string>) },
        }),
    };
    root = await createRoot(alice);
  }, 60_000);
  afterAll(async () => {
    await close(server);
    await h.close();
  });

  it('stores batches of chunks sent over a socket and serves back the exact stream', async () => {
    const file = await encryptFile(patternBytes(3_000_000), { chunkSize: 64 * 1024 });
    const upload = await startUpload(alice, file, root);
    for (let first = 0; first < file.chunks.length; first += 8) {
      await ok(putChunks(alice, upload.uploadId, first, file.chunks.slice(first, first + 8)), 204);
    }
    const done = await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));
    expectBytes((await download(alice, done.revisionId)).bytes, file.ciphertext);
  });

  it('refuses a streamed batch shorter than its chunks, records none of it, then takes the right one', async () => {
    const file = await encryptFile(patternBytes(300_000), { chunkSize: 64 * 1024 });
    const upload = await startUpload(alice, file, root);
    const batch = file.chunks.slice(0, 3);
    const joined = new Uint8Array(batch.reduce((total, chunk) => total + chunk.length, 0));
    batch.reduce((offset, chunk) => (joined.set(chunk, offset), offset + chunk.length), 0);
    // No Content-Length: the length is only known once the body has ended.
    const short = alice.request(`/api/uploads/${upload.uploadId}/chunks/0?count=3`, {
      method: 'PUT',
      body: new Blob([joined.subarray(0, joined.length - 100)]).stream(),
      duplex: 'half',
    } as RequestInit);
    await fails(short, 400, 'CHUNK_SIZE_MISMATCH');
    expect((await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}`))).received).toEqual([]);
    await ok(putChunks(alice, upload.uploadId, 0, batch), 204);
    expect((await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}`))).received).toEqual([0, 1, 2]);
  });
});
