/**
 * What Chromium's download path through a service worker allows on this machine, without Coffer: a plain Node server
 * sends the same 1 GiB Coffer stream (from the page cache), and a bare service worker answers a download's URL with
 * it, either passed on as the network gives it or decrypted by the web app's own decryptByteStream. bench/web.ts
 * downloads each of them in the same browser as the web app, after the web app's download, and a third file straight
 * from the server to the download manager, with no service worker at all.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { Readable, Writable } from 'node:stream';
import { build } from 'esbuild';
import { createEncryptStream } from '../shared/crypto/index.ts';

/** The downloads, as the URL each is fetched from. */
export const CEILING_PATHS = {
  direct: '/direct',
  passedOn: '/through-worker/passed-on',
  decrypted: '/through-worker/decrypted',
} as const;
export type CeilingPath = keyof typeof CEILING_PATHS;

export interface CeilingServer {
  origin: string;
  /** The encrypted stream's length: what the two downloads that do not decrypt it save. */
  streamBytes: number;
  close(): Promise<void>;
}

const FILE_ID = new Uint8Array(16).fill(1);
const REVISION = 1;

/** Encrypts the file at `plainPath` into `encryptedPath` as the web app would store it; returns its file key. */
export async function encryptForCeiling(plainPath: string, encryptedPath: string): Promise<Uint8Array> {
  const fileKey = crypto.getRandomValues(new Uint8Array(32));
  await (Readable.toWeb(createReadStream(plainPath, { highWaterMark: 1 << 20 })) as ReadableStream<Uint8Array>)
    .pipeThrough(createEncryptStream({ fileKey, fileId: FILE_ID, revision: REVISION }))
    .pipeTo(Writable.toWeb(createWriteStream(encryptedPath)));
  return fileKey;
}

/** The service worker: claims its page at once, and answers the two /through-worker/ URLs. */
async function workerSource(fileKey: Uint8Array, plainBytes: number): Promise<string> {
  const bundle = await build({
    stdin: {
      contents: `import { decryptByteStream } from './shared/crypto/index.ts'; self.decryptByteStream = decryptByteStream;`,
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'warning',
  });
  return `${bundle.outputFiles[0]!.text}
const fileKey = new Uint8Array(${JSON.stringify([...fileKey])});
const expected = { fileId: new Uint8Array(${JSON.stringify([...FILE_ID])}), revision: ${REVISION} };
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const path = new URL(event.request.url).pathname;
  if (path !== '${CEILING_PATHS.passedOn}' && path !== '${CEILING_PATHS.decrypted}') return;
  event.respondWith(fetch('/stream').then((response) => {
    const decrypt = path === '${CEILING_PATHS.decrypted}';
    return new Response(decrypt ? self.decryptByteStream(response.body, { fileKey, expected }) : response.body, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment; filename="ceiling.bin"',
        'content-length': decrypt ? '${plainBytes}' : response.headers.get('content-length'),
      },
    });
  }));
});`;
}

export async function startCeilingServer(
  encryptedPath: string,
  fileKey: Uint8Array,
  plainBytes: number,
): Promise<CeilingServer> {
  const worker = await workerSource(fileKey, plainBytes);
  const streamBytes = statSync(encryptedPath).size;
  const server = createServer((request, response) => {
    const send = (type: string, body: string) => response.writeHead(200, { 'content-type': type }).end(body);
    if (request.url === '/')
      return send('text/html', '<!doctype html><title>ceiling</title><script src="/page.js"></script>');
    if (request.url === '/page.js') return send('text/javascript', `navigator.serviceWorker.register('/worker.js');`);
    if (request.url === '/worker.js') return send('text/javascript', worker);
    if (request.url === '/stream' || request.url === CEILING_PATHS.direct) {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': streamBytes,
        ...(request.url === CEILING_PATHS.direct
          ? { 'content-disposition': 'attachment; filename="ceiling.bin"' }
          : {}),
      });
      createReadStream(encryptedPath, { highWaterMark: 1 << 20 }).pipe(response);
      return;
    }
    response.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    streamBytes,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
