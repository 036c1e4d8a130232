/**
 * What the platform allows for a folder of small files without Coffer in the way, in the same browser and the same
 * run as the app's folder upload: a page of a plain Node server POSTs one small body per file (as many in flight as
 * the app's three-step upload keeps), or the same bodies many to a request (as the app's batches carry them); and the
 * page's main thread runs the web app's own crypto for each file (a key, its wrap, the stream's keys and header, the
 * one chunk, the metadata) with nothing sent.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { build } from 'esbuild';
import { PageDriver } from './cdp.ts';

export interface SmallFileCeiling {
  files: number;
  /** Files per second for each way. */
  onePostPerFile: number;
  batchedPosts: number;
  cryptoOnly: number;
}

const PER_FILE_IN_FLIGHT = 4;
const FILES_PER_BATCH = 128;
const BATCHES_IN_FLIGHT = 2;

/** The app's crypto for one new file of `bytes`, as start-uploads.ts and upload-task.svelte.ts call it. */
async function cryptoBundle(): Promise<string> {
  const bundle = await build({
    stdin: {
      contents: `import * as c from './shared/crypto/index.ts';
const folderKey = c.generateNodeKey();
const ownerId = crypto.randomUUID();
const parentId = crypto.randomUUID();
self.encryptSmallFile = async (plaintext) => {
  const nodeId = crypto.randomUUID();
  const fileKey = c.generateNodeKey();
  const place = { ownerId, nodeId, parentId, kind: 'file' };
  const wrappedKey = await c.wrapNodeKey(folderKey, fileKey, place);
  const stream = await c.StreamKeys.derive(fileKey, {
    chunkSize: c.DEFAULT_CHUNK_SIZE, fileId: c.uuidToBytes(nodeId), revision: 1,
    nonce: crypto.getRandomValues(new Uint8Array(16)),
  });
  const metadata = { name: nodeId + '.txt', type: 'text/plain', size: plaintext.length, modified: Date.now(), revision: 1 };
  const [header, chunk, encryptedMetadata] = await Promise.all([
    c.sealHeader(stream), c.encryptChunk(stream, 0, true, plaintext), c.encryptMetadata(fileKey, place, metadata),
  ]);
  return wrappedKey.length + header.length + chunk.length + encryptedMetadata.length;
};`,
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'warning',
  });
  return bundle.outputFiles[0]!.text;
}

function pageSource(crypto: string): string {
  return `<!doctype html><meta charset="utf-8"><title>small-file ceiling</title><script>${crypto.replaceAll('</script', '<\\/script')}
/** Runs jobs(0..n-1), at most inFlight at once; resolves with the seconds it took. */
async function pool(n, inFlight, job) {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < n) await job(next++);
  }));
  return (performance.now() - start) / 1000;
}
const body = (bytes) => new Uint8Array(bytes).fill(49);
self.onePostPerFile = (n, inFlight, bytes) =>
  pool(n, inFlight, () => fetch('/file', { method: 'POST', body: body(bytes) }).then((r) => r.arrayBuffer()));
self.batchedPosts = (n, perBatch, inFlight, bytes) =>
  pool(Math.ceil(n / perBatch), inFlight, () =>
    fetch('/batch', { method: 'POST', body: body(bytes * perBatch) }).then((r) => r.arrayBuffer()));
self.cryptoOnly = (n, inFlight, bytes) => pool(n, inFlight, () => self.encryptSmallFile(body(bytes)));
</script>`;
}

/** Measures the three ways for `files` files of `bytes` each, in a new tab of the session's browser. */
export async function measureSmallFileCeiling(
  app: PageDriver,
  files: number,
  bytes: number,
): Promise<SmallFileCeiling> {
  const html = pageSource(await cryptoBundle());
  const server = createServer((request, response) => {
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/html' });
      return response.end(html);
    }
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { cdp } = app;
  const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', { url: `${origin}/` });
  try {
    const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const page = new PageDriver(cdp, sessionId);
    await page.waitFor(`location.origin === ${JSON.stringify(origin)} && self.cryptoOnly`, 'the ceiling page to load');
    const perFile = await page.evaluate<number>(`onePostPerFile(${files}, ${PER_FILE_IN_FLIGHT}, ${bytes})`);
    const batched = await page.evaluate<number>(
      `batchedPosts(${files}, ${FILES_PER_BATCH}, ${BATCHES_IN_FLIGHT}, ${bytes})`,
    );
    const cryptoSeconds = await page.evaluate<number>(`cryptoOnly(${files}, ${2 * FILES_PER_BATCH}, ${bytes})`);
    return {
      files,
      onePostPerFile: files / perFile,
      batchedPosts: files / batched,
      cryptoOnly: files / cryptoSeconds,
    };
  } finally {
    await cdp.send('Target.closeTarget', { targetId });
    server.close();
  }
}
