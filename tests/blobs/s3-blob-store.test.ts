/**
 * The S3 driver against a real S3 server: a throwaway Ceph RGW started for this file (about 13 s). Without Ceph
 * installed these tests fail, saying how to install it; they never skip.
 */
import { CreateBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3BlobStore } from '../../server/blobs/s3-blob-store.ts';
import type { S3BlobStoreConfig } from '../../server/blobs/s3-blob-store.ts';
import { describeBlobStoreContract, LARGE_SIZE, MEDIUM_SIZE } from './blob-store-contract.ts';
import { startCephRgw } from '../../tools/harness/ceph-rgw.ts';
import type { CephRgw } from '../../tools/harness/ceph-rgw.ts';
import { MiB } from './streams.ts';

const BUCKET = `coffer-test-${Date.now()}`;
/** Between MEDIUM_SIZE and LARGE_SIZE, as the contract asks; 5 MiB is the smallest part S3 and RGW accept. */
const MULTIPART_THRESHOLD = 5 * MiB;
const PART_SIZE = 5 * MiB;

let rgw: CephRgw | undefined;
let client: S3Client | undefined;
let config: S3BlobStoreConfig;

beforeAll(async () => {
  rgw = await startCephRgw();
  config = {
    endpoint: rgw.endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    accessKeyId: rgw.accessKeyId,
    secretAccessKey: rgw.secretAccessKey,
    multipartThreshold: MULTIPART_THRESHOLD,
    partSize: PART_SIZE,
    listPageSize: 2,
  };
  client = new S3Client({
    endpoint: rgw.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await rgw?.stop();
}, 30_000);

describeBlobStoreContract('s3', {
  open: async () => createS3BlobStore(config),
  async expectNoLeftovers(prefix) {
    const { Uploads } = await client!.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
    expect(Uploads ?? [], 'unfinished multipart uploads').toEqual([]);
  },
});

describe('s3 blob store', () => {
  const etagOf = async (key: string) => (await client!.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag;

  it('uploads a body above the multipart threshold in parts, and one up to it in a single request', async () => {
    const store = createS3BlobStore(config);
    await store.put('s3/large', randomBytes(LARGE_SIZE), LARGE_SIZE);
    await store.put('s3/threshold', randomBytes(MULTIPART_THRESHOLD), MULTIPART_THRESHOLD);
    await store.put('s3/medium', randomBytes(MEDIUM_SIZE), MEDIUM_SIZE);
    // A multipart object's ETag is the hash of its parts' hashes followed by '-' and the number of parts.
    expect(await etagOf('s3/large')).toMatch(/-3"$/);
    expect(await etagOf('s3/threshold')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await etagOf('s3/medium')).toMatch(/^"[0-9a-f]{32}"$/);
    await store.close();
  });

  it('reports a missing bucket as an error, not as a missing object', async () => {
    const store = createS3BlobStore({ ...config, bucket: 'no-such-bucket' });
    // RGW's error responses carry a code but no message: the SDK's message is 'UnknownError', the name is the code.
    const noSuchBucket = { name: 'NoSuchBucket' };
    await expect(store.get('object')).rejects.toMatchObject(noSuchBucket);
    await expect(store.put('object', new Uint8Array(1), 1)).rejects.toMatchObject(noSuchBucket);
    await expect(store.list('')[Symbol.asyncIterator]().next()).rejects.toMatchObject(noSuchBucket);
    await store.close();
  });

  it('rejects requests signed with the wrong secret', async () => {
    const store = createS3BlobStore({ ...config, secretAccessKey: 'wrong' });
    // A HEAD response has no body to name the error: all there is to see is the 403.
    await expect(store.stat('object')).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    await expect(store.get('object')).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    await store.close();
  });
});
