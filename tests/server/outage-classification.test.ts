/**
 * What counts as an outage of the blob store (blobs/s3-outage.ts) or of the database (db/errors.ts), on the errors
 * Node, postgres.js and the AWS SDK really raise: the other end refusing, resetting or timing out, or S3 answering
 * 5xx, is one; an error of the request or of the code making it is not, nor the ECONNRESET of a request body whose
 * client went away.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { drizzle } from 'drizzle-orm/postgres-js';
import { sql as raw } from 'drizzle-orm';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { BlobStoreUnavailableError } from '../../server/blobs/blob-store.ts';
import { createS3BlobStore } from '../../server/blobs/s3-blob-store.ts';
import { isS3Outage } from '../../server/blobs/s3-outage.ts';
import { isDatabaseUnavailable } from '../../server/db/errors.ts';
import { closedPort } from './closed-port.ts';

/** The error Node raises on a connection refused by a port nothing listens on. */
async function refusedConnection(): Promise<Error> {
  const socket = connect(await closedPort(), '127.0.0.1');
  const [error] = (await once(socket, 'error').catch((thrown: unknown) => [thrown])) as [Error];
  return error;
}

/** The error a request body raises on the server when its client closes the connection halfway through sending it. */
async function clientAbortError(): Promise<Error> {
  const server = createHttpServer();
  const raised = new Promise<Error>((resolve) =>
    server.on('request', (request) => {
      request.on('error', resolve);
      request.resume();
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.write('PUT /api/x HTTP/1.1\r\nHost: coffer\r\nContent-Length: 1000\r\n\r\nfirst bytes');
  setTimeout(() => socket.destroy(), 50);
  try {
    return await raised;
  } finally {
    server.close();
  }
}

function s3Error(name: string, fault: 'client' | 'server', httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode }, message: name });
}

/** A TypeError with the code Node gives a wrong argument: a mistake in the code, whatever it was calling. */
function programmingError(): Error {
  try {
    Buffer.from(42 as unknown as string);
  } catch (error) {
    return error as Error;
  }
  throw new Error('Buffer.from accepted a number');
}

describe('blob store outages (S3)', () => {
  it('counts no answer, a timeout and a server error as outages', async () => {
    expect(isS3Outage(await refusedConnection())).toBe(true);
    expect(isS3Outage(Object.assign(new Error('getaddrinfo EAI_AGAIN s3'), { code: 'EAI_AGAIN' }))).toBe(true);
    // The SDK's HTTP handler, for a connection that never opened: a name and no code.
    expect(isS3Outage(Object.assign(new Error('did not establish a connection'), { name: 'TimeoutError' }))).toBe(true);
    expect(isS3Outage(s3Error('RequestTimeout', 'client', 400))).toBe(true);
    expect(isS3Outage(s3Error('InternalError', 'server', 500))).toBe(true);
    expect(isS3Outage(s3Error('SlowDown', 'server', 503))).toBe(true);
  });

  it('counts an error of the request or of the code as no outage', () => {
    expect(isS3Outage(programmingError())).toBe(false);
    expect(isS3Outage(s3Error('AccessDenied', 'client', 403))).toBe(false);
    expect(isS3Outage(s3Error('NoSuchBucket', 'client', 404))).toBe(false);
    expect(isS3Outage(new Error('no code'))).toBe(false);
    expect(isS3Outage('ECONNREFUSED')).toBe(false);
  });

  it('reports an unreachable service as unavailable, and a request the SDK cannot make as the error it is', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const config = { endpoint, region: 'us-east-1', bucket: 'coffer', accessKeyId: 'key', secretAccessKey: 'secret' };
    const unreachable = createS3BlobStore(config);
    // Credentials no header can carry: the request fails in Node's HTTP client before anything is sent.
    const miswritten = createS3BlobStore({ ...config, accessKeyId: 'key\nid' });
    try {
      await expect(unreachable.get('some/key')).rejects.toBeInstanceOf(BlobStoreUnavailableError);
      const refused = await miswritten.get('some/key').catch((error: unknown) => error);
      expect(refused).not.toBeInstanceOf(BlobStoreUnavailableError);
      expect(refused).toMatchObject({ code: 'ERR_INVALID_CHAR' });
    } finally {
      await Promise.all([unreachable.close(), miswritten.close()]);
    }
  });
});

describe('database outages', () => {
  it('counts a database that cannot be reached, through postgres.js and drizzle', async () => {
    const client = postgres(`postgres://postgres@127.0.0.1:${await closedPort()}/coffer`, {
      max: 1,
      connect_timeout: 5,
      onnotice: () => undefined,
    });
    try {
      const direct = await client`select 1`.catch((error: unknown) => error);
      expect(direct).toMatchObject({ code: 'ECONNREFUSED' });
      expect(isDatabaseUnavailable(direct)).toBe(true);
      const wrapped = await drizzle(client)
        .execute(raw`select 1`)
        .catch((error: unknown) => error);
      expect(isDatabaseUnavailable(wrapped)).toBe(true);
    } finally {
      await client.end();
    }
    // Node's, when a host name's addresses were each tried and refused.
    const everyAddress = new AggregateError([await refusedConnection()], 'connect ECONNREFUSED');
    expect(isDatabaseUnavailable(Object.assign(everyAddress, { code: 'ECONNREFUSED' }))).toBe(true);
    const closed = Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });
    expect(isDatabaseUnavailable(closed)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('shutting down'), { code: '57P01' }))).toBe(true);
  });

  it('does not count a request body cut off by its client, a query error or a programming error', async () => {
    const aborted = await clientAbortError();
    expect(aborted).toMatchObject({ code: 'ECONNRESET' });
    expect(isDatabaseUnavailable(aborted)).toBe(false);
    expect(isDatabaseUnavailable(new Error('upload failed', { cause: aborted }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(programmingError())).toBe(false);
  });
});
