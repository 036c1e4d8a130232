/**
 * The load benchmark's second ceiling, "bare + Postgres": a node:http server without a framework or an ORM that does,
 * per request, the database and disk work the goal's requests need, as Coffer does it: the session found by its
 * token's hash, the statements Coffer sends for a listing, an upload and a download (bench/load/coffer-sql.ts), as
 * prepared statements through postgres.js with Coffer's pool of 10 connections, and each uploaded chunk written to a
 * temporary file, synced, renamed into place and its directories synced, as the fs blob store does. It checks only
 * what the loop's requests need (the session, the owner, the quota, the folder chain) and answers what Coffer answers.
 * Arguments: the database URL, the directory to store chunks in, and "rate-limits" to also take the two rate-limit
 * tokens per request in the database as Coffer does. Prints the URL it listens on, as Coffer does.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { decodeBase64url, DEFAULT_CHUNK_SIZE, encodeBase64url } from '../../shared/crypto/index.ts';
import * as q from './coffer-sql.ts';

const [databaseUrl, storeDir, variant] = process.argv.slice(2) as [string, string, string | undefined];
const countRateLimits = variant === 'rate-limits';
const sql = postgres(databaseUrl, { max: 10, onnotice: () => undefined });
type Sql = postgres.Sql | postgres.TransactionSql;
const run = (db: Sql, query: string, parameters: unknown[]) => db.unsafe(query, parameters as never, { prepare: true });
/** Rows as arrays: a join's two tables have columns of the same names. */
const rows = (db: Sql, query: string, parameters: unknown[]) =>
  db.unsafe(query, parameters as never, { prepare: true }).values();

const SESSION_COOKIE = 'coffer_session';
const SESSION_IDLE_MS = 14 * 24 * 60 * 60 * 1000;
const SESSION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
const SLIDE_EVERY_MS = 60 * 1000;
const UPLOAD_IDLE_MS = 24 * 60 * 60 * 1000;
/** Coffer's buckets at RATE_LIMIT_PER_SECOND=100000: the account's, and the address's at four times its rate. */
const ACCOUNT_BUCKET = { stepMs: 1000 / 100_000, toleranceMs: (500_000 - 1) * (1000 / 100_000) };
const ADDRESS_BUCKET = { stepMs: 1000 / 400_000, toleranceMs: (2_000_000 - 1) * (1000 / 400_000) };

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function takeToken(key: string, bucket: { stepMs: number; toleranceMs: number }): Promise<void> {
  const now = new Date().toISOString();
  const taken = await run(sql, q.TAKE_TOKEN, [key, now, bucket.stepMs, now, bucket.stepMs, now, bucket.toleranceMs]);
  if (taken.length === 0) throw new Refused(429, 'rate limited');
}

function sessionToken(request: IncomingMessage): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const split = pair.indexOf('=');
    // Set URI-encoded, as Hono sets cookies and reads them back.
    if (pair.slice(0, split).trim() === SESSION_COOKIE) return decodeURIComponent(pair.slice(split + 1).trim());
  }
  return undefined;
}

/** The user of the request's session, with its expiry slid as Coffer slides it. */
async function sessionUser(request: IncomingMessage): Promise<{ id: string; quotaBytes: number }> {
  const token = sessionToken(request);
  if (!token) throw new Refused(401, 'no session');
  const tokenHash = createHash('sha256').update(token).digest();
  const at = new Date();
  const [row] = await rows(sql, q.SESSION, [tokenHash, at, new Date(at.getTime() - SESSION_MAX_AGE_MS)]);
  if (!row) throw new Refused(401, 'no such session');
  const [id, , quotaBytes, , , , createdAt, lastSeenAt] = row as [string, string, string, string, ...Date[]];
  if (at.getTime() - lastSeenAt!.getTime() >= SLIDE_EVERY_MS) {
    const end = Math.min(at.getTime() + SESSION_IDLE_MS, createdAt!.getTime() + SESSION_MAX_AGE_MS);
    await run(sql, q.SLIDE_SESSION, [at, new Date(end), tokenHash]);
  }
  return { id, quotaBytes: Number(quotaBytes) };
}

const iso = (value: Date | null) => value?.toISOString() ?? null;

/** A row of nodes left-joined to revisions, as Coffer's nodeJson answers it. */
function nodeJson(row: unknown[]) {
  const [id, , parentId, kind, wrappedKey, metadata, , authorId, requestLinkId, signature, created, updated, trashed] =
    row as [string, string, string, string, string, Buffer, string, string, string, string, Date, Date, Date | null];
  const revision = row.slice(13) as [string, string, string, number, Buffer, number, number, string, number | null];
  const [revisionId, nodeId, , number, header, chunkSize, chunkCount, size, thumbnailBytes] = revision;
  const [revisionAuthor, revisionCreated, completed] = row.slice(22) as [string, Date, Date | null];
  return {
    id,
    parentId,
    kind,
    wrappedKey,
    encryptedMetadata: encodeBase64url(metadata),
    currentRevision: revisionId
      ? {
          id: revisionId,
          nodeId,
          number,
          header: encodeBase64url(header),
          size: Number(size),
          chunkSize,
          chunkCount,
          createdAt: revisionCreated.toISOString(),
          completedAt: iso(completed),
          thumbnail: thumbnailBytes !== null,
          authorId: revisionAuthor,
        }
      : null,
    createdAt: created.toISOString(),
    updatedAt: updated.toISOString(),
    trashedAt: iso(trashed),
    authorId,
    requestLinkId,
    authorSignature: signature,
  };
}

/** The node, if the user owns it. */
async function ownNode(userId: string, nodeId: string): Promise<unknown[]> {
  const [node] = await rows(sql, q.NODE, [nodeId]);
  if (!node || node[1] !== userId) throw new Refused(404, `no node ${nodeId}`);
  return node;
}

async function listChildren(userId: string, folderId: string): Promise<string> {
  const folder = await ownNode(userId, folderId);
  if (folder[3] !== 'folder') throw new Refused(409, 'not a folder');
  const children = await rows(sql, q.LIST_CHILDREN, [folderId, userId]);
  const [manifest] = await rows(sql, q.FOLDER_MANIFEST, [folderId]);
  return JSON.stringify({ children: children.map(nodeJson), manifest: manifest ?? null });
}

/** The folder is the user's, a folder, and neither it nor a folder above it is in the trash. */
async function usableFolder(db: Sql, userId: string, folderId: string): Promise<void> {
  const chain = await rows(db, q.FOLDER_CHAIN, [userId, folderId, userId]);
  const folder = chain.find((row) => row[0] === folderId);
  if (!folder || folder[3] !== 'folder') throw new Refused(404, `no folder ${folderId}`);
  if (chain.some((row) => row[12] !== null)) throw new Refused(409, 'in the trash');
}

/** fsync of a file or a directory. */
async function sync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** As the fs blob store's durable put: a temporary file written and synced, renamed into place, directories synced. */
async function storeChunk(key: string, bytes: Uint8Array): Promise<void> {
  const temporary = join(storeDir, '.tmp', randomBytes(16).toString('hex'));
  const handle = await open(temporary, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const path = join(storeDir, key);
  const made = await mkdir(dirname(path), { recursive: true });
  await rename(temporary, path);
  await sync(dirname(path));
  if (made !== undefined) await sync(dirname(dirname(path)));
}

interface SmallFile {
  nodeId: string;
  newFile: { parentId: string; wrappedKey: string; encryptedMetadata: string };
  header: string;
  chunk: string;
}

/** A one-file batch of a new file, with Coffer's statements in Coffer's two transactions around the disk write. */
async function uploadFile(user: { id: string; quotaBytes: number }, file: SmallFile): Promise<string> {
  const nodeId = file.nodeId.toLowerCase();
  const parentId = file.newFile.parentId.toLowerCase();
  const header = Buffer.from(decodeBase64url(file.header));
  const chunk = decodeBase64url(file.chunk);
  const metadata = Buffer.from(decodeBase64url(file.newFile.encryptedMetadata));
  const size = header.length + chunk.length;
  const [parent] = await rows(sql, q.NODES_IN, [parentId]);
  if (!parent || parent[1] !== user.id) throw new Refused(404, `no folder ${parentId}`);
  const revisionId = randomUUID();
  const uploadId = randomUUID();
  await sql.begin(async (tx) => {
    const [[quotaBytes]] = (await rows(tx, q.LOCK_QUOTA, [user.id])) as unknown as [[string]];
    const [[used]] = (await rows(tx, q.USAGE, [user.id, user.id])) as unknown as [[string]];
    if ((await rows(tx, q.NODES_IN, [nodeId])).length > 0) throw new Refused(409, `node ${nodeId} is taken`);
    if ((await rows(tx, q.UPLOADS_UNDER, [nodeId])).length > 0) throw new Refused(409, `node ${nodeId} is taken`);
    if ((await rows(tx, q.LAST_REVISIONS, [nodeId, user.id])).length > 0) throw new Refused(409, 'not revision 1');
    await usableFolder(tx, user.id, parentId);
    if (Number(used) + size > Number(quotaBytes)) throw new Refused(413, 'over quota');
    const inserted = await run(tx, q.INSERT_REVISION, [
      revisionId,
      nodeId,
      user.id,
      1,
      header,
      DEFAULT_CHUNK_SIZE,
      1,
      size,
      user.id,
    ]);
    if (inserted.length === 0) throw new Refused(409, 'revision conflict');
    await run(tx, q.INSERT_UPLOAD, [
      uploadId,
      user.id,
      revisionId,
      nodeId,
      true,
      parentId,
      file.newFile.wrappedKey,
      metadata,
      null,
      new Date(Date.now() + UPLOAD_IDLE_MS),
    ]);
  });
  await storeChunk(`revisions/${revisionId}/0`, chunk);
  await sql.begin(async (tx) => {
    const [upload] = await rows(tx, q.LOCK_UPLOADS, [uploadId]);
    if (!upload || upload[1] !== null) throw new Refused(409, 'upload aborted');
    await usableFolder(tx, user.id, parentId);
    const made = await run(tx, q.INSERT_NODE, [
      nodeId,
      user.id,
      parentId,
      'file',
      upload[2] as string,
      metadata,
      revisionId,
      user.id,
      null,
    ]);
    if (made.length === 0) throw new Refused(409, `node ${nodeId} is taken`);
    const completedAt = new Date();
    await run(tx, q.COMPLETE_REVISIONS, [completedAt, revisionId]);
    await run(tx, q.COMPLETE_UPLOADS, [completedAt, uploadId]);
    await run(tx, q.INSERT_SEGMENT, [revisionId, 0, 1]);
  });
  return JSON.stringify({ files: [{ nodeId, status: 201, revisionId, revision: 1 }] });
}

async function download(userId: string, revisionId: string): Promise<Buffer> {
  const [revision] = await rows(sql, q.COMPLETED_REVISION, [revisionId]);
  if (!revision) throw new Refused(404, `no revision ${revisionId}`);
  await ownNode(userId, revision[1] as string);
  const segments = await rows(sql, q.SEGMENTS, [revisionId]);
  if (segments.length !== 1) throw new Refused(500, 'not a one-segment revision');
  return Buffer.concat([revision[4] as Buffer, await readFile(join(storeDir, `revisions/${revisionId}/0`))]);
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    request.on('data', (piece: Buffer) => pieces.push(piece));
    request.on('end', () => resolve(Buffer.concat(pieces).toString()));
    request.on('error', reject);
  });
}

async function answer(request: IncomingMessage): Promise<{ body: Buffer | string; type: string }> {
  const url = request.url!;
  if (countRateLimits) await takeToken(`address:${request.socket.remoteAddress}`, ADDRESS_BUCKET);
  const user = await sessionUser(request);
  if (countRateLimits) await takeToken(`account:${user.id}`, ACCOUNT_BUCKET);
  const json = 'application/json';
  if (request.method === 'GET' && url.endsWith('/children')) {
    return { body: await listChildren(user.id, url.split('/')[3]!), type: json };
  }
  if (request.method === 'GET' && url.startsWith('/api/revisions/')) {
    return { body: await download(user.id, url.split('/')[3]!), type: 'application/octet-stream' };
  }
  if (request.method === 'POST' && url === '/api/uploads/batch') {
    const { files } = JSON.parse(await bodyOf(request)) as { files: SmallFile[] };
    if (files.length !== 1) throw new Refused(400, 'one file per batch');
    return { body: await uploadFile(user, files[0]!), type: json };
  }
  throw new Refused(404, `no route ${request.method} ${url}`);
}

function reply(response: ServerResponse, status: number, body: Buffer | string, type: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

await mkdir(join(storeDir, '.tmp'), { recursive: true });
const server = createServer((request, response) => {
  answer(request).then(
    ({ body, type }) => reply(response, 200, body, type),
    (error: Error) => {
      request.resume();
      reply(
        response,
        error instanceof Refused ? error.status : 500,
        JSON.stringify({ error: error.message }),
        'application/json',
      );
    },
  );
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}`);
});
