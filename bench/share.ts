/**
 * `npm run bench:share`: sharing a folder of BENCH_SHARE_FILES (1,000) files with an account (the grant made and
 * POSTed) and revoking that share with the rotation of the folder's keys (web/src/lib/sharing/revoke-share.ts: the
 * DELETE, the listing, every old wrap opened and new one made, a new grant for the member who stays, the POST), with
 * the real crypto, in Node and in headless Chromium, against the app in this process (tests/server/harness.ts, on
 * PGlite or BENCH_DATABASE=postgres). The page calls the same app through a local proxy that adds the owner's
 * session. The ceiling is the bare WebCrypto calls a rotation cannot do without (bench/browser/share-flow.ts). Prints
 * a Markdown table of medians over BENCH_ROUNDS (5) rounds for docs/BENCHMARKS.md.
 */
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { build } from 'esbuild';
import { chromium } from 'playwright';
import { nodes } from '../server/db/schema.ts';
import { encryptMetadata, exportPublicKey, generateNodeKey, makeGrant, wrapNodeKey } from '../shared/crypto/index.ts';
import { createHarness, type TestUser } from '../tests/server/harness.ts';
import { keyedFolder, keyedRoot } from '../tests/server/keyed-tree.ts';
import { makeSharingUser } from '../tests/server/sharing-accounts.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tools/harness/chromium.ts';
import { ApiRequestError } from '../web/src/lib/api.ts';
import type { RotationRing, Send } from '../web/src/lib/sharing/rotate-keys.ts';
import { bareCeilingMs, shareAndRevoke, type FlowInput, type RoundTimes } from './browser/share-flow.ts';
import type { PageSetup, sharePage } from './browser/share-page.ts';

const FILES = Number(process.env.BENCH_SHARE_FILES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'pglite';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A user's API calls as the web app's api() makes them, refusals as ApiRequestError. */
async function call(user: TestUser, method: string, path: string, body?: string) {
  const response = await user.request(path, {
    method,
    ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: response.status, text: await response.text() };
}

function sendAs(user: TestUser): Send {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const { status, text } = await call(user, method, path, body === undefined ? undefined : JSON.stringify(body));
    const parsed = (text ? JSON.parse(text) : undefined) as { error?: { code: string; message: string } } | undefined;
    if (status >= 300)
      throw new ApiRequestError(parsed?.error?.code ?? 'HTTP_ERROR', parsed?.error?.message ?? '', status);
    return parsed as T;
  };
}

const h = await createHarness(DATABASE);
const owner = await makeSharingUser(h);
const removed = await makeSharingUser(h);
const kept = await makeSharingUser(h);
const tree = await keyedRoot(owner);
const folder = await keyedFolder(owner, tree.root, 'Shared');
// The files are written straight into the database: what is measured is sharing and revoking, not uploading.
const rows = await Promise.all(
  Array.from({ length: FILES }, async (_, index) => {
    const key = generateNodeKey();
    const place = { ownerId: owner.id, nodeId: crypto.randomUUID(), parentId: folder.id, kind: 'file' as const };
    return {
      id: place.nodeId,
      ownerId: owner.id,
      parentId: folder.id,
      kind: 'file' as const,
      authorId: owner.id,
      wrappedKey: await wrapNodeKey(folder.key, key, place),
      encryptedMetadata: await encryptMetadata(key, place, {
        name: `photo-${index}.jpg`,
        type: 'image/jpeg',
        size: 1000,
        modified: 0,
        revision: 1,
      }),
    };
  }),
);
await h.db.insert(nodes).values(rows);
// The member who stays: an editor, whose grant each rotation replaces.
const keptGrant = await makeGrant({
  terms: {
    senderId: owner.id,
    recipientId: kept.id,
    ownerId: owner.id,
    nodeId: folder.id,
    kind: 'folder',
    role: 'editor',
  },
  nodeKey: folder.key,
  senderSigningKey: owner.keys.signing.privateKey,
  recipientSharingKey: await exportPublicKey(kept.keys.sharing.publicKey),
});
const keptShare = JSON.parse((await call(owner, 'POST', '/api/shares', JSON.stringify({ grant: keptGrant }))).text) as {
  id: string;
};
await call(kept, 'POST', `/api/shares/${keptShare.id}/accept`);

const keys = new Map([
  [tree.root.id, tree.root.key],
  [folder.id, folder.key],
]);
const ring: RotationRing = {
  keyOf: (id) => keys.get(id),
  replaceKeys: (replaced) => {
    for (const [id, key] of replaced) if (keys.has(id)) keys.set(id, key);
  },
};
const accept = async (shareId: string) => {
  await call(removed, 'POST', `/api/shares/${shareId}/accept`);
};
const input: FlowInput = {
  ownerId: owner.id,
  folderId: folder.id,
  masterKey: tree.masterKey,
  signingKey: owner.keys.signing.privateKey,
  removed: { id: removed.id, sharingKey: await exportPublicKey(removed.keys.sharing.publicKey) },
  kept: { id: kept.id, sharingKey: await exportPublicKey(kept.keys.sharing.publicKey) },
  send: sendAs(owner),
  accept,
};

const inNode: RoundTimes[] = [];
const nodeCeiling: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  inNode.push(await shareAndRevoke(input, ring));
  nodeCeiling.push(await bareCeilingMs(FILES));
}

/** The same rounds in Chromium's page, which reaches the app through a proxy that adds the owner's session. */
async function inChromium(): Promise<{ version: string; rounds: RoundTimes[]; ceiling: number[] }> {
  const bundle = await build({
    stdin: {
      contents: `import { sharePage } from './share-page.ts'; globalThis.sharePage = sharePage;`,
      resolveDir: new URL('./browser', import.meta.url).pathname,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    alias: { $shared: './shared' },
    write: false,
    logLevel: 'warning',
  });
  const script = bundle.outputFiles[0]!.text;
  const server = createServer((request, response) => {
    const url = request.url!;
    if (url === '/page.js') return response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    if (!url.startsWith('/api/') && !url.startsWith('/accept/')) {
      return response
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<script type="module" src="/page.js"></script>');
    }
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const answer = url.startsWith('/accept/')
        ? accept(url.slice('/accept/'.length)).then(() => ({ status: 204, text: '' }))
        : call(owner, request.method!, url, parts.length > 0 ? Buffer.concat(parts).toString() : undefined);
      answer.then(
        ({ status, text }) => response.writeHead(status, { 'content-type': 'application/json' }).end(text),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    await tab.waitForFunction(() => 'sharePage' in globalThis);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', owner.keys.signing.privateKey));
    const setup: PageSetup = {
      ownerId: owner.id,
      folderId: folder.id,
      masterKey: b64(tree.masterKey),
      keys: [...keys].map(([id, key]) => [id, b64(key)]),
      pkcs8: b64(pkcs8),
      removed: { id: removed.id, key: b64(input.removed.sharingKey) },
      kept: { id: kept.id, key: b64(input.kept.sharingKey) },
      rounds: ROUNDS,
      files: FILES,
    };
    // No named function in what is evaluated: tsx would wrap it in a helper the page does not have.
    const result = await tab.evaluate(
      (given) => (globalThis as unknown as { sharePage: typeof sharePage }).sharePage(given),
      setup,
    );
    return { version: browser.version(), ...result };
  } finally {
    await browser.close();
    server.close();
  }
}

const browser = await inChromium();
await h.close();

const row = (name: string, rounds: RoundTimes[], ceiling: number[]) => {
  const revoke = median(rounds.map((round) => round.revokeMs));
  const server = median(rounds.map((round) => round.serverMs));
  const bare = median(ceiling);
  return (
    `| ${name} | ${median(rounds.map((round) => round.shareMs)).toFixed(0)} | ${revoke.toFixed(0)} | ` +
    `${server.toFixed(0)} | ${(revoke - server).toFixed(0)} | ${bare.toFixed(0)} | ${((revoke - server) / bare).toFixed(1)}x |`
  );
};
console.log(
  `Node ${process.version}, Chromium ${browser.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; ` +
    `a folder of ${FILES} files and one member who stays, on ${DATABASE}; median of ${ROUNDS} rounds\n`,
);
console.log(
  '| where | share (ms) | revoke + rotate (ms) | of which the server (ms) | of which the device (ms) | ceiling: bare WebCrypto (ms) | device / ceiling |\n' +
    '| --- | --: | --: | --: | --: | --: | --: |',
);
console.log(row('Node', inNode, nodeCeiling));
console.log(row('Chromium', browser.rounds, browser.ceiling));
