/**
 * The load benchmark's users, made before anything is timed, as a browser makes them: a passkey sign-up with the
 * software authenticator of the server tests, then a root folder holding a few small files (the folder each client
 * lists) and an empty folder the client uploads into.
 */
import { randomBytes } from 'node:crypto';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { encodeBase64url, generateKey, KEY_PURPOSES, wrapKey } from '../../shared/crypto/index.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { encryptSmallFile, type FolderKeys } from './file-pool.ts';
import type { Answer, ClientConnection } from './http-client.ts';

export interface BenchUser {
  userId: string;
  /** The folder listed in the loop. */
  rootId: string;
  /** The folder new files go to, so that the listed folder keeps its size through the run. */
  incoming: FolderKeys;
}

function expect(answer: Answer, status: number, what: string): Buffer {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.body.toString()}`);
  return answer.body;
}

async function createFolder(
  connection: ClientConnection,
  userId: string,
  parentId: string | null,
  parentKey: Uint8Array,
): Promise<FolderKeys> {
  const folderId = crypto.randomUUID();
  const folderKey = generateKey();
  const wrappedKey = await wrapKey(parentKey, folderKey, {
    purpose: KEY_PURPOSES.folderKey,
    owner: userId,
    object: folderId,
  });
  const body = JSON.stringify({
    id: folderId,
    parentId,
    wrappedKey,
    encryptedMetadata: encodeBase64url(randomBytes(160)),
  });
  expect(await connection.send('POST', '/api/nodes/folders', body), 201, 'create a folder');
  return { userId, folderId, folderKey };
}

export async function signUpUser(
  connection: ClientConnection,
  seedFiles: number,
  fileBytes: number,
): Promise<BenchUser> {
  const options = JSON.parse(
    expect(await connection.send('POST', '/api/auth/sign-up/options', '{}'), 200, 'sign-up options').toString(),
  ) as { userId: string; options: PublicKeyCredentialCreationOptionsJSON };
  const { userId } = options;
  const masterKey = generateKey();
  const random = (length: number) => encodeBase64url(randomBytes(length), { padding: false });
  const wrap = (object: string) => wrapKey(generateKey(), masterKey, { purpose: 'master-key', owner: userId, object });
  const verify = {
    response: await new SoftAuthenticator(connection.origin).create(options.options),
    prfWrap: { salt: random(32), wrapped: await wrap('prf') },
    recoveryWrap: { salt: random(32), wrapped: await wrap('recovery') },
    recoveryVerifier: random(32),
    publicKeys: { sharing: random(91), signing: random(91) },
    privateKeys: { sharing: await wrap('sharing'), signing: await wrap('signing') },
  };
  expect(await connection.send('POST', '/api/auth/sign-up/verify', JSON.stringify(verify)), 201, 'sign-up');
  const root = await createFolder(connection, userId, null, masterKey);
  const incoming = await createFolder(connection, userId, root.folderId, root.folderKey);
  const seeds = await Promise.all(Array.from({ length: seedFiles }, () => encryptSmallFile(root, fileBytes)));
  const files = seeds.map((seed) => (JSON.parse(seed.body) as { files: unknown[] }).files[0]);
  expect(await connection.send('POST', '/api/uploads/batch', JSON.stringify({ files })), 200, 'seed the listed folder');
  return { userId, rootId: root.folderId, incoming };
}
