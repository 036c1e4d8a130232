/**
 * Plays a drawn request (tests/fuzz/fuzzed-request.ts) against the app: picks its route, puts real ids or junk in
 * its path, builds its body and headers, and sends it as the caller it names.
 */
import { LIMITS, REKEY_LIMITS } from '../../shared/api/schemas.ts';
import { UPLOAD_BATCH } from '../../shared/api/upload-batch.ts';
import { encodeBase64url, MAX_THUMBNAIL_BYTES } from '../../shared/crypto/index.ts';
import { ORIGIN, type Harness } from '../server/harness.ts';
import type { Victim } from '../server/victim.ts';
import { writeJson, type Body, type Caller, type FuzzedRequest } from './fuzzed-request.ts';

export interface World {
  app: Harness['app'];
  /** The app's routes, as "METHOD /path/:param". */
  routes: string[];
  victim: Victim;
  /** The session cookie of each signed-in caller: the victim is the owner. */
  cookies: Record<Exclude<Caller, 'anonymous'>, string>;
  /** An account the admin's routes may name, so that the admin never disables the owner. */
  bystander: string;
}

export interface Played {
  route: string;
  method: string;
  path: string;
  response: Response;
}

/** Fixed, so that a run is the same each time: the server does not read these bytes. */
const SOME_BYTES = encodeBase64url(new Uint8Array(120).fill(7));
const SOME_TOKEN = encodeBase64url(new Uint8Array([0x80, ...new Uint8Array(120).fill(9)]));
const SOME_ID = '7f1c1a52-3b8e-4c2d-9a61-0d2f5e8b4c11';

/** The ids a route's parameter may name; the first are the victim's rows. */
function realValues(name: string, pattern: string, world: World): string[] {
  const v = world.victim;
  const requestSide = /^\/api\/(r|request-links)\//.test(pattern);
  switch (name) {
    case 'nodeId':
      return [v.folder, v.file, v.root];
    case 'uploadId':
      return [pattern.startsWith('/api/r/') ? v.requestUpload : requestSide ? v.pendingUpload : v.upload];
    case 'revisionId':
      return [v.revision];
    case 'index':
      return ['0', '1'];
    case 'sessionId':
      return [v.session];
    case 'userId':
      return [world.bystander];
    case 'shareId':
      return [v.share];
    case 'linkId':
      return [requestSide ? v.requestLink : v.link];
    case 'kind':
      return ['contacts'];
    case 'handle':
      return ['nobody-has-this'];
    default:
      return [SOME_ID];
  }
}

/** Each route's valid body, which a drawn request spoils (or, sometimes, sends as it is). */
function validBodies(world: World): Record<string, unknown> {
  const v = world.victim;
  const node = { wrappedKey: SOME_TOKEN, encryptedMetadata: SOME_BYTES };
  return {
    'POST /api/uploads': v.uploadIntoFolder,
    'POST /api/uploads/batch': v.batchIntoFolder,
    'POST /api/uploads/:uploadId/complete': {},
    'POST /api/links': v.linkOfFolder,
    'PATCH /api/links/:linkId': { downloadLimit: 1 },
    'POST /api/request-links': v.requestLinkOfFolder,
    'PATCH /api/request-links/:linkId': { maxFiles: 20 },
    'POST /api/request-links/uploads/:uploadId/accept': { wrappedKey: SOME_TOKEN },
    'POST /api/r/:linkId/uploads': v.uploadThroughRequestLink,
    'POST /api/nodes/folders': { id: SOME_ID, parentId: v.folder, ...node },
    'PATCH /api/nodes/:nodeId': { encryptedMetadata: SOME_BYTES },
    'PUT /api/nodes/:nodeId/current-revision': { revisionId: v.revision, encryptedMetadata: SOME_BYTES },
    'POST /api/nodes/:nodeId/move': { parentId: v.folder, ...node },
    'POST /api/nodes/:nodeId/rekey': {
      folders: [{ id: v.folder, ...node }],
      files: [],
      uploads: [],
      grants: [],
    },
    'PUT /api/account/handle': { handle: 'fuzzed-handle' },
    'PUT /api/account/documents/:kind': { version: 0, sealed: SOME_BYTES },
    'PATCH /api/account/passkeys/:credentialId': { encryptedLabel: SOME_BYTES },
    'DELETE /api/account': { confirm: v.user },
    'PUT /api/admin/users/:userId/quota': { quotaBytes: 1024 ** 3 },
    'PUT /api/admin/default-quota': { quotaBytes: 1024 ** 3 },
    'PUT /api/admin/registration': { mode: 'open' },
    'DELETE /api/admin/users/:userId': { confirm: world.bystander },
  };
}

/** The size limit a route names for its body. */
function bodyLimit(pattern: string): number {
  if (pattern.endsWith('/rekey')) return REKEY_LIMITS.maxBodyBytes;
  if (pattern === '/api/uploads/batch') return UPLOAD_BATCH.maxBodyBytes;
  if (pattern.endsWith('/thumbnail')) return MAX_THUMBNAIL_BYTES;
  return LIMITS.jsonBodyBytes;
}

const oversizeBodies = new Map<number, string>();
function oversize(limit: number): string {
  let body = oversizeBodies.get(limit);
  if (body === undefined) {
    body = `"${'x'.repeat(limit)}"`;
    oversizeBodies.set(limit, body);
  }
  return body;
}

/** The valid body with the value at `path` (keys and items picked by index, as deep as the body goes) changed. */
function spoil(base: unknown, path: number[], change: Extract<Body, { kind: 'spoiled' }>['change']): unknown {
  if (change === 'keep') return base;
  const copy = structuredClone(base) as unknown;
  let holder: unknown = undefined;
  let key: string | number | undefined;
  let at: unknown = copy;
  for (const step of path) {
    if (at === null || typeof at !== 'object') break;
    const keys = Array.isArray(at) ? at.map((_, index) => index) : Object.keys(at);
    if (keys.length === 0) break;
    holder = at;
    key = keys[step % keys.length]!;
    at = (at as Record<string | number, unknown>)[key];
  }
  if (holder === undefined || key === undefined) return change === 'remove' ? undefined : change.replace;
  const parent = holder as Record<string | number, unknown>;
  if (change !== 'remove') parent[key] = change.replace;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  // JSON leaves out a key whose value is undefined.
  else parent[key] = undefined;
  return copy;
}

function bodyOf(drawn: FuzzedRequest, route: string, world: World): string | Uint8Array<ArrayBuffer> | undefined {
  const body = drawn.body;
  const pattern = route.split(' ')[1]!;
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'spoiled': {
      const bodies = validBodies(world);
      const others = Object.values(bodies);
      const own = route in bodies ? bodies[route] : undefined;
      const base = own !== undefined && body.base % 3 !== 0 ? own : others[body.base % others.length];
      const spoiled = spoil(base, body.path, body.change);
      if (spoiled === undefined) return '';
      return writeJson(body.inArray ? [spoiled] : spoiled);
    }
    case 'json':
      return writeJson(body.value);
    case 'text':
      return body.text;
    case 'bytes':
      return new Uint8Array(body.bytes);
    case 'nested':
      return `${body.opener.repeat(body.depth)}1${(body.opener === '[' ? ']' : '}').repeat(body.depth)}`;
    case 'oversize':
      return oversize(bodyLimit(pattern));
  }
}

function pathOf(drawn: FuzzedRequest, pattern: string, world: World): string {
  let index = 0;
  return pattern.replace(/:(\w+)/g, (_, name: string) => {
    const param = drawn.params[index++ % drawn.params.length]!;
    if ('real' in param) {
      const values = realValues(name, pattern, world);
      return values[param.real % values.length]!;
    }
    return drawn.encode ? encodeURIComponent(param.junk) : param.junk;
  });
}

function headersOf(drawn: FuzzedRequest, pattern: string, body: BodyInit | undefined, world: World) {
  const headers: Record<string, string> = {};
  const caller = drawn.caller === 'anonymous' ? undefined : world.cookies[drawn.caller];
  if (typeof drawn.cookie === 'object') headers.cookie = drawn.cookie.garbage;
  else if (caller !== undefined) headers.cookie = drawn.cookie === 'doubled' ? `${caller}; ${caller}x` : caller;
  if (drawn.origin === 'right') headers.origin = ORIGIN;
  if (drawn.origin === 'wrong') headers.origin = 'https://coffer.example.net';
  if (drawn.origin === 'null') headers.origin = 'null';
  if (drawn.range !== null) headers.range = drawn.range;
  if (drawn.authorization === 'link') headers.authorization = `Link ${world.victim.linkToken}`;
  else if (drawn.authorization !== null) headers.authorization = drawn.authorization;
  // Binary junk goes out as JSON, but to the routes that take bytes.
  const takesBytes = /\/(chunks|thumbnail)/.test(pattern);
  const implied = body instanceof Uint8Array && takesBytes ? 'application/octet-stream' : 'application/json';
  const contentType = drawn.contentType === undefined ? implied : drawn.contentType;
  if (body !== undefined && contentType !== null && contentType !== undefined) headers['content-type'] = contentType;
  return headers;
}

/** Sends the drawn request; a body on GET or HEAD, which fetch cannot send, is left off. */
export async function play(drawn: FuzzedRequest, world: World): Promise<Played> {
  const route = world.routes[drawn.route % world.routes.length]!;
  const [routeMethod, pattern] = route.split(' ') as [string, string];
  const method = drawn.method ?? routeMethod;
  const path = `${pathOf(drawn, pattern, world)}${drawn.query}`;
  const drawnBody = bodyOf(drawn, route, world);
  const body = method === 'GET' || method === 'HEAD' ? undefined : drawnBody;
  const headers = headersOf(drawn, pattern, body, world);
  const response = await world.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
  return { route, method, path, response };
}
