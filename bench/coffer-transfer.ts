/**
 * One transfer of bench:server: a Coffer process started as `npm start` starts it on an empty DATA_DIR, an account made
 * with a passkey, then 1 GiB uploaded and downloaded. Shared by bench/server.ts and bench/embedded-alternatives.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { SESSION_COOKIE } from '../server/http/auth.ts';
import {
  DEFAULT_CHUNK_SIZE,
  encodeBase64url,
  generateKey,
  sealHeader,
  StreamKeys,
  uuidToBytes,
  wrapKey,
} from '../shared/crypto/index.ts';
import { waitForListening } from '../tools/harness/server-process.ts';
import { SoftAuthenticator } from '../tools/harness/soft-authenticator.ts';
import { CHUNKS, drain, peakRssMiB, putChunks, spawnCoffer, T, timed, TOTAL, type Transfer } from './bench-kit.ts';

const ORIGIN = 'http://coffer.bench';

export interface Run extends Transfer {
  peakRssMiB?: number;
}

/**
 * An account made as a browser makes one, with a passkey (the software authenticator of the server tests), so that
 * the server has loaded everything a signed-in user needs before the data moves.
 */
async function signUpWithPasskey(base: string): Promise<{ userId: string; cookie: string }> {
  const cookies = new Map<string, string>();
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: ORIGIN,
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      },
      body: JSON.stringify(body),
    });
    for (const line of response.headers.getSetCookie()) {
      const [name, value] = line.split(';')[0]!.split('=') as [string, string];
      cookies.set(name, value);
    }
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const { userId, options } = await post<{ userId: string; options: PublicKeyCredentialCreationOptionsJSON }>(
    '/api/auth/sign-up/options',
    {},
  );
  const response = await new SoftAuthenticator(ORIGIN).create(options);
  const random = (length: number) => encodeBase64url(randomBytes(length), { padding: false });
  const wrap = () => wrapKey(generateKey(), generateKey(), { purpose: 'master-key', owner: userId, object: 'bench' });
  await post('/api/auth/sign-up/verify', {
    response,
    prfWrap: { salt: random(32), wrapped: await wrap() },
    recoveryWrap: { salt: random(32), wrapped: await wrap() },
    recoveryVerifier: random(32),
    publicKeys: { sharing: random(91), signing: random(91) },
    privateKeys: { sharing: await wrap(), signing: await wrap() },
  });
  return { userId, cookie: `${SESSION_COOKIE}=${cookies.get(SESSION_COOKIE)}` };
}

/**
 * `onStarted` is called with the Coffer process as soon as it is spawned (to watch its memory with the processes of
 * a database it uses).
 */
export async function runCoffer(
  dataDir: string,
  env: Record<string, string>,
  onStarted?: (child: ChildProcess) => void,
): Promise<Run> {
  const child = spawnCoffer(
    { ...env, PORT: '0', DATA_DIR: dataDir, PUBLIC_ORIGIN: ORIGIN, DEFAULT_QUOTA_BYTES: String(4 * TOTAL) },
    process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
  );
  onStarted?.(child);
  const base = await waitForListening(child);
  child.stdout!.resume();
  const { userId, cookie } = await signUpWithPasskey(base);
  const headers = { cookie, origin: ORIGIN };
  const json = (body: unknown) => ({
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  try {
    const rootId = crypto.randomUUID();
    const wrappedKey = await wrapKey(generateKey(), generateKey(), {
      purpose: 'folder-key',
      owner: userId,
      object: rootId,
    });
    const metadata = encodeBase64url(randomBytes(64));
    await fetch(
      `${base}/api/nodes/folders`,
      json({ id: rootId, parentId: null, wrappedKey, encryptedMetadata: metadata }),
    );
    const nodeId = crypto.randomUUID();
    const keys = await StreamKeys.derive(generateKey(), {
      chunkSize: DEFAULT_CHUNK_SIZE,
      fileId: uuidToBytes(nodeId),
      revision: 1,
      nonce: randomBytes(16),
    });
    const header = await sealHeader(keys);
    const size = header.length + CHUNKS * T;
    const created = await fetch(
      `${base}/api/uploads`,
      json({
        nodeId,
        newFile: { parentId: rootId, wrappedKey, encryptedMetadata: metadata },
        header: encodeBase64url(header),
        size,
        chunkCount: CHUNKS,
      }),
    );
    const { uploadId, revisionId } = (await created.json()) as { uploadId: string; revisionId: string };
    if (created.status !== 201) throw new Error(`create upload: ${created.status} ${JSON.stringify(uploadId)}`);
    const uploadSeconds = await timed(async () => {
      await putChunks((first, count) => `${base}/api/uploads/${uploadId}/chunks/${first}?count=${count}`, headers);
      const done = await fetch(`${base}/api/uploads/${uploadId}/complete`, { method: 'POST', headers });
      if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`);
    });
    let received = 0;
    const downloadSeconds = await timed(async () => {
      received = await drain(await fetch(`${base}/api/revisions/${revisionId}/content`, { headers }));
    });
    if (received !== size) throw new Error(`Coffer served ${received} of ${size} bytes`);
    return { uploadSeconds, downloadSeconds, peakRssMiB: peakRssMiB(child) };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}
