/**
 * What Chromium's download paths allow on this machine, without Coffer: a plain Node server sends the same 1 GiB
 * Coffer stream (from the page cache), and a bare service worker answers a download's URL with it, either passed on as
 * the network gives it or decrypted by the web app's own decryptByteStream. bench/web.ts downloads each of them in the
 * same browser as the web app, after the web app's download, and a third file straight from the server to the download
 * manager, with no service worker at all. The fourth path is the other one the issue names, the File System Access
 * API: a dedicated worker decrypts the stream into a FileSystemWritableFileStream. Headless Chromium cannot answer a
 * save dialog, so the file is the origin-private file system's rather than one the user picked; both are written
 * through the same writable stream, into a swap file that closing moves into place.
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

/**
 * The names of the ceiling page's two functions for the File System Access path: the first decrypts the stream into
 * the file and resolves with its size; the second hands the finished file to the download manager, so that it is
 * checked as the other downloads are.
 */
export const DECRYPT_INTO_FILE = 'decryptIntoFile';
export const OFFER_SAVED_FILE = 'offerSavedFile';
const SAVED_FILE = 'ceiling.bin';

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

/** The web app's decryptByteStream and what the ceiling's stream needs to decrypt it, for either worker. */
async function decryptingPrelude(fileKey: Uint8Array): Promise<string> {
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
const expected = { fileId: new Uint8Array(${JSON.stringify([...FILE_ID])}), revision: ${REVISION} };`;
}

/** The service worker: claims its page at once, and answers the two /through-worker/ URLs. */
function serviceWorkerSource(prelude: string, plainBytes: number): string {
  return `${prelude}
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
        'content-disposition': 'attachment; filename="${SAVED_FILE}"',
        'content-length': decrypt ? '${plainBytes}' : response.headers.get('content-length'),
      },
    });
  }));
});`;
}

/** The dedicated worker of the File System Access path: the stream, decrypted as it arrives, into the saved file. */
function fileWorkerSource(prelude: string): string {
  return `${prelude}
self.onmessage = async () => {
  try {
    const response = await fetch('/stream');
    const handle = await (await navigator.storage.getDirectory()).getFileHandle('${SAVED_FILE}', { create: true });
    await self.decryptByteStream(response.body, { fileKey, expected }).pipeTo(await handle.createWritable());
    self.postMessage({ bytes: (await handle.getFile()).size });
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};`;
}

const PAGE_SCRIPT = `navigator.serviceWorker.register('/worker.js');
window.${DECRYPT_INTO_FILE} = () => new Promise((resolve, reject) => {
  const worker = new Worker('/file-worker.js');
  worker.onmessage = ({ data }) => {
    worker.terminate();
    if (data.error) reject(new Error(data.error));
    else resolve(data.bytes);
  };
  worker.postMessage(null);
});
window.${OFFER_SAVED_FILE} = async () => {
  const file = await (await (await navigator.storage.getDirectory()).getFileHandle('${SAVED_FILE}')).getFile();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(file);
  link.download = '${SAVED_FILE}';
  link.click();
  return true;
};`;

export async function startCeilingServer(
  encryptedPath: string,
  fileKey: Uint8Array,
  plainBytes: number,
): Promise<CeilingServer> {
  const prelude = await decryptingPrelude(fileKey);
  const serviceWorker = serviceWorkerSource(prelude, plainBytes);
  const fileWorker = fileWorkerSource(prelude);
  const streamBytes = statSync(encryptedPath).size;
  const server = createServer((request, response) => {
    const send = (type: string, body: string) => response.writeHead(200, { 'content-type': type }).end(body);
    if (request.url === '/')
      return send('text/html', '<!doctype html><title>ceiling</title><script src="/page.js"></script>');
    if (request.url === '/page.js') return send('text/javascript', PAGE_SCRIPT);
    if (request.url === '/worker.js') return send('text/javascript', serviceWorker);
    if (request.url === '/file-worker.js') return send('text/javascript', fileWorker);
    if (request.url === '/stream' || request.url === CEILING_PATHS.direct) {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': streamBytes,
        ...(request.url === CEILING_PATHS.direct
          ? { 'content-disposition': `attachment; filename="${SAVED_FILE}"` }
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
