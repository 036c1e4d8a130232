import { describe, expect, it } from 'vitest';
import { concatStreams, type StreamSource } from '../../server/http/concat-stream.ts';

/** A source that records when it is opened and cancelled, and streams its pieces one per pull. */
function recordedSource(name: string, pieces: number[][], log: string[]): StreamSource {
  return async () => {
    log.push(`open ${name}`);
    let next = 0;
    return new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const piece = pieces[next++];
          if (piece) controller.enqueue(new Uint8Array(piece));
          else controller.close();
        },
        cancel() {
          log.push(`cancel ${name}`);
        },
      },
      { highWaterMark: 0 },
    );
  };
}

/** Sources a (two pieces), b and c (one each), concatenated, and the log of their opening and cancelling. */
function threeSources() {
  const log: string[] = [];
  const reader = concatStreams([
    recordedSource('a', [[1], [2]], log),
    recordedSource('b', [[3]], log),
    recordedSource('c', [[4]], log),
  ]).getReader();
  return { log, reader };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<number[]> {
  const bytes: number[] = [];
  for await (const piece of stream) bytes.push(...piece);
  return bytes;
}

describe('concatStreams', () => {
  it('streams the sources in order, streams and whole arrays alike', async () => {
    const log: string[] = [];
    const stream = concatStreams([
      recordedSource('a', [[1, 2], [3]], log),
      async () => new Uint8Array([4]),
      recordedSource('b', [], log),
      recordedSource('c', [[5], [6, 7]], log),
    ]);
    expect(await readAll(stream)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(log).toEqual(['open a', 'open b', 'open c']);
  });

  it('opens the next source while one is read, and never more than one ahead', async () => {
    const { log, reader } = threeSources();
    expect((await reader.read()).value).toEqual(new Uint8Array([1]));
    expect(log).toEqual(['open a', 'open b']);
    expect((await reader.read()).value).toEqual(new Uint8Array([2]));
    expect(log).toEqual(['open a', 'open b']);
    expect((await reader.read()).value).toEqual(new Uint8Array([3]));
    expect(log).toEqual(['open a', 'open b', 'open c']);
  });

  it('cancels the source being read and the one already opened after it', async () => {
    const { log, reader } = threeSources();
    await reader.read();
    await reader.cancel(new Error('the client went away'));
    expect(log).toEqual(['open a', 'open b', 'cancel a', 'cancel b']);
  });

  it('fails when the reader reaches a source that failed to open, after the bytes before it, and closes the rest', async () => {
    const log: string[] = [];
    const failure = new Error('segment missing');
    const reader = concatStreams([
      recordedSource('a', [[1], [2]], log),
      () => Promise.reject(failure),
      recordedSource('c', [[3]], log),
    ]).getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1]));
    expect((await reader.read()).value).toEqual(new Uint8Array([2]));
    await expect(reader.read()).rejects.toBe(failure);
    expect(log).toEqual(['open a']);
  });

  it('closes the opened next source when the one being read fails', async () => {
    const log: string[] = [];
    const failure = new Error('disk error');
    const failing: StreamSource = async () =>
      new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(failure) }, { highWaterMark: 0 });
    const reader = concatStreams([failing, recordedSource('b', [[1]], log)]).getReader();
    await expect(reader.read()).rejects.toBe(failure);
    expect(log).toEqual(['open b', 'cancel b']);
  });
});
