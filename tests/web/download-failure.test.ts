import { describe, expect, it } from 'vitest';
import { CofferCryptoError } from '../../shared/crypto/index.ts';
import { describeFailure, namingFailures } from '../../web/src/lib/download/download-failure.ts';
import { workerHeaders, workerTextResponse } from '../../web/src/lib/pwa/worker-response.ts';

describe('a failed download, described', () => {
  it('names the file and blames the server when its content fails authentication', () => {
    const error = describeFailure(
      'Photos/a.jpg',
      new CofferCryptoError('CHUNK_INVALID', 'chunk 3 failed authentication (altered, reordered, ...)'),
    );
    expect(error.message).toBe(
      '"Photos/a.jpg" failed the integrity check: the server altered or lost its content, so it was refused ' +
        '(chunk 3 failed authentication (altered, reordered, ...)).',
    );
  });

  it('names the file and blames the connection when the network failed', () => {
    expect(describeFailure('a.bin', new TypeError('network error')).message).toBe(
      '"a.bin" could not be downloaded: the connection failed (network error). Try again.',
    );
  });

  it('passes on errors that already say what happened', () => {
    const refused = new Error('"a.bin" could not be downloaded: no revision 1234');
    expect(describeFailure('a.bin', refused)).toBe(refused);
  });

  it("passes a stream's bytes through, and describes its failure", async () => {
    let step = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (step++ === 0) controller.enqueue(new Uint8Array([1, 2, 3]));
        else controller.error(new CofferCryptoError('TRUNCATED', 'stream ends after chunk 0'));
      },
    });
    const reader = namingFailures('b.bin', source).getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1, 2, 3]));
    await expect(reader.read()).rejects.toThrow(/^"b\.bin" failed the integrity check: .*stream ends after chunk 0/);
  });
});

describe("the service worker's own responses", () => {
  it('are sandboxed, nosniff and never stored, whatever headers they add', async () => {
    const headers = workerHeaders({ 'content-type': 'video/webm', 'cache-control': 'max-age=60' });
    expect(Object.fromEntries(headers)).toEqual({
      'content-type': 'video/webm',
      'content-security-policy': 'sandbox',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    const error = workerTextResponse(404, 'gone');
    expect(error.status).toBe(404);
    expect(error.headers.get('content-security-policy')).toBe('sandbox');
    expect(await error.text()).toBe('gone');
  });
});
