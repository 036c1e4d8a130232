/**
 * Blob store on an S3-compatible service (AWS S3, Ceph RGW). Bodies are read into memory one piece at a time before
 * they are sent: a whole object up to `multipartThreshold`, one part of a multipart upload above it. That bounds
 * memory, lets the SDK retry a failed request with the same bytes, and means a body of the wrong length is caught
 * before anything becomes visible under the key (a multipart upload only appears when completed, and is aborted on
 * any failure).
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import { checkBlobPrefix, checkBlobSize, checkByteRange } from './blob-arguments.ts';
import { BlobSizeError, BlobStoreUnavailableError, checkBlobKey } from './blob-store.ts';
import type { BlobStore, ByteRange } from './blob-store.ts';
import { BodyReader } from './body-reader.ts';
import { isS3Outage } from './s3-outage.ts';
import { webStreamFromNode } from './web-stream-from-node.ts';

export interface S3BlobStoreConfig {
  /** Omitted for AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Bucket in the path rather than the host name; default true, which RGW without wildcard DNS needs. */
  forcePathStyle?: boolean;
  /** Bodies larger than this many bytes go up as multipart uploads; default 16 MiB. */
  multipartThreshold?: number;
  /** Bytes per multipart part (S3 and RGW refuse parts under 5 MiB but the last); default 8 MiB. */
  partSize?: number;
  /** Keys per ListObjectsV2 request; default 1000, the S3 maximum. Tests lower it to exercise pagination. */
  listPageSize?: number;
}

const MiB = 1024 * 1024;
/** S3 allows at most this many parts; larger objects get larger parts. */
const MAX_PARTS = 10_000;

export function createS3BlobStore(config: S3BlobStoreConfig): BlobStore {
  const { bucket: Bucket, multipartThreshold = 16 * MiB, partSize = 8 * MiB, listPageSize = 1000 } = config;
  const client = new S3Client({
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    forcePathStyle: config.forcePathStyle ?? true,
    // By default the SDK adds CRC32 checksums to every request and response, which not every S3 server supports.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // Outside the SDK's retries: what still fails after them is an outage when it is no answer or a server error.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw isS3Outage(error) ? new BlobStoreUnavailableError(error) : error;
      }
    },
    { step: 'initialize', name: 'blobStoreUnavailable' },
  );

  async function putWhole(Key: string, reader: BodyReader, size: number): Promise<void> {
    // One byte more than declared, to notice a body that is too long.
    const body = await reader.read(size + 1);
    if (body.byteLength !== size) throw new BlobSizeError(size, reader.received);
    await client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: size }));
  }

  async function putInParts(Key: string, reader: BodyReader, size: number): Promise<void> {
    const pieceSize = Math.max(partSize, Math.ceil(size / MAX_PARTS));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    try {
      const parts: CompletedPart[] = [];
      for (let PartNumber = 1; ; PartNumber++) {
        // Near the end, ask for one byte past the declared size rather than a whole part.
        const body = await reader.read(Math.min(pieceSize, size - reader.received + 1));
        if (reader.received > size) throw new BlobSizeError(size, reader.received);
        if (body.byteLength === 0) break;
        const { ETag } = await client.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.byteLength }),
        );
        parts.push({ PartNumber, ETag });
      }
      if (reader.received !== size) throw new BlobSizeError(size, reader.received);
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      // The original error is the one worth reporting; an upload that fails to abort only costs storage until the
      // bucket's lifecycle rule for incomplete uploads removes it.
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  async function stat(key: string) {
    try {
      const { ContentLength } = await client.send(new HeadObjectCommand({ Bucket, Key: checkBlobKey(key) }));
      if (ContentLength === undefined) throw new Error(`HeadObject of ${key} returned no Content-Length`);
      return { size: ContentLength };
    } catch (error) {
      // A HEAD response has no body, so 404 is all there is to tell a missing object.
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return undefined;
      throw error;
    }
  }

  /** An HTTP range cannot be empty, so an empty range only needs to know that the object exists and is long enough. */
  async function getEmptyRange(key: string, range: ByteRange) {
    const info = await stat(key);
    if (!info) return undefined;
    checkByteRange(range, info.size);
    return new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
  }

  return {
    kind: 's3',

    // S3 acknowledges a put only once the object is stored durably, so `durable: false` changes nothing here.
    async makeDurable() {
      return [];
    },

    async put(key, body, size) {
      checkBlobKey(key);
      checkBlobSize(size);
      if (body instanceof Uint8Array && body.byteLength !== size) throw new BlobSizeError(size, body.byteLength);
      const reader = new BodyReader(body);
      try {
        if (size <= multipartThreshold) await putWhole(key, reader, size);
        else await putInParts(key, reader, size);
      } catch (error) {
        await reader.cancel(error);
        throw error;
      }
    },

    async get(key, range) {
      checkBlobKey(key);
      if (range) {
        checkByteRange(range);
        if (range.start === range.end) return getEmptyRange(key, range);
      }
      let response;
      try {
        response = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: key,
            ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}),
          }),
        );
      } catch (error) {
        if (error instanceof S3ServiceException) {
          if (error.name === 'NoSuchKey') return undefined;
          if (error.$metadata.httpStatusCode === 416) {
            throw new RangeError(`invalid byte range ${range?.start}-${range?.end}: it starts past the object's end`, {
              cause: error,
            });
          }
        }
        throw error;
      }
      const body = response.Body;
      if (!(body instanceof Readable)) throw new Error('the S3 client returned a body that is not a Node stream');
      // S3 shortens a range that ends past the object instead of refusing it.
      if (range && response.ContentLength !== range.end - range.start) {
        body.destroy();
        throw new RangeError(`invalid byte range ${range.start}-${range.end} of an object (${response.ContentRange})`);
      }
      return webStreamFromNode(body);
    },

    stat,

    async delete(key) {
      // S3 deletes are idempotent already.
      await client.send(new DeleteObjectCommand({ Bucket, Key: checkBlobKey(key) }));
    },

    async ping() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },

    async *list(prefix) {
      checkBlobPrefix(prefix);
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: prefix, MaxKeys: listPageSize, ContinuationToken }),
        );
        for (const { Key } of page.Contents ?? []) if (Key !== undefined) yield Key;
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken !== undefined);
    },

    async close() {
      client.destroy();
    },
  };
}
