/**
 * How a request that fails on the blob store is answered (http/errors.ts): a store that does not answer is 503
 * BLOB_STORE_UNAVAILABLE; a request the store's client could not even make is a 500 whose cause is logged, not an
 * outage to wait out; and a client that went away is answered REQUEST_ABORTED whatever failed after it left.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlobStoreUnavailableError } from '../../server/blobs/blob-store.ts';
import { createS3BlobStore } from '../../server/blobs/s3-blob-store.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { createRoot, encryptFile, fails, uploadFile } from './client.ts';
import { closedPort } from './closed-port.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';

interface LogLine {
  level: number;
  msg: string;
  status?: number;
  err?: { code?: string };
}

describe.each(DATABASE_KINDS)('blob store failures answered on %s', (kind) => {
  let h: Harness;
  let user: TestUser;
  let content: string;

  beforeAll(async () => {
    h = await createHarness(kind);
    user = await h.makeUser();
    const { revisionId } = await uploadFile(
      user,
      await encryptFile(new Uint8Array(3000).fill(5)),
      await createRoot(user),
    );
    content = `/api/revisions/${revisionId}/content`;
  });
  afterAll(() => h?.close());

  /** The download read through an S3 blob store on an endpoint nothing listens on, with these credentials. */
  async function downloadThroughS3(accessKeyId: string): Promise<Response> {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const s3 = createS3BlobStore({
      endpoint,
      region: 'us-east-1',
      bucket: 'coffer',
      accessKeyId,
      secretAccessKey: 's',
    });
    const get = vi.spyOn(h.blobs, 'get').mockImplementation((key, range) => s3.get(key, range));
    try {
      return await user.request(content);
    } finally {
      get.mockRestore();
      await s3.close();
    }
  }

  const logged = () => h.logs.map((line) => JSON.parse(line) as LogLine);

  it('answers 503 BLOB_STORE_UNAVAILABLE when the store does not answer', async () => {
    const response = await downloadThroughS3('key');
    expect(response.headers.get('retry-after')).toBe('5');
    await fails(response, 503, 'BLOB_STORE_UNAVAILABLE');
  });

  it('answers 500 INTERNAL, and logs the cause, when the store could not be asked', async () => {
    // Credentials no header can carry: Node's HTTP client refuses the request before it connects.
    const before = h.logs.length;
    const message = await fails(await downloadThroughS3('key\nid'), 500, 'INTERNAL');
    expect(message).toMatch(/^internal error \(request [\w-]+\)$/);
    const lines = logged().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'request failed',
      status: 500,
      err: { code: 'ERR_INVALID_CHAR' },
    });
  });

  it('answers REQUEST_ABORTED, and logs no failure, when the client went away before the store failed', async () => {
    const client = new AbortController();
    const get = vi.spyOn(h.blobs, 'get').mockImplementation(() => {
      client.abort();
      throw new BlobStoreUnavailableError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    });
    const before = h.logs.length;
    try {
      await fails(await user.request(content, { signal: client.signal }), 400, 'REQUEST_ABORTED');
    } finally {
      get.mockRestore();
    }
    const lines = logged().slice(before);
    expect(lines.map((line) => [line.level, line.status])).toEqual([[30, 400]]);
  });
});
