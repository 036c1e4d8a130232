/**
 * The app's routes, read from its route table, and a victim account with one row of every kind a route names (a
 * folder, a file and its revision, an open upload, a share, a share link, a request link and uploads through it), so
 * that tests which call every route have real ids to put in its path and real bodies to send.
 */
import { eq } from 'drizzle-orm';
import { sessions } from '../../server/db/schema.ts';
import { encodeBase64url, encryptThumbnail } from '../../shared/crypto/index.ts';
import {
  createFolder,
  createRoot,
  createUploadRequest,
  encryptFile,
  json,
  ok,
  startUpload,
  uploadFile,
} from './client.ts';
import type { Harness } from './harness.ts';
import { linkBody, makeLink } from './link-client.ts';
import {
  beginRequestUpload,
  makeRequestLink,
  requestLinkBody,
  requestUploadBody,
  strangerUploads,
} from './request-client.ts';
import { grantFor, makeSharingUser, type SharingUser } from './sharing-accounts.ts';

/** The victim's ids that requests name. */
export interface Victim {
  /** A folder in the victim's root, which the victim shares: the file is in it. */
  folder: string;
  root: string;
  /** A share of the folder with a third account: nobody else may answer or end it. */
  share: string;
  file: string;
  revision: string;
  upload: string;
  session: string;
  /** The victim's account. */
  user: string;
  /** A share link of the folder, with no limit. */
  link: string;
  /** The token its holder presents (Authorization: Link <token>). */
  linkToken: string;
  /** A file-request link of the folder, a stranger's upload through it still open, and one waiting for the victim. */
  requestLink: string;
  requestUpload: string;
  pendingUpload: string;
  /** Not an id: the open upload's one chunk, and the body that begins another upload through the request link. */
  requestChunk?: Uint8Array;
  uploadThroughRequestLink?: unknown;
  /** Not an id: the body that makes a request link of the victim's folder. */
  requestLinkOfFolder?: unknown;
  /** Not an id: the body of an upload of a new file into the victim's folder. */
  uploadIntoFolder?: unknown;
  /** Not an id: the body that makes a link of the victim's folder. */
  linkOfFolder?: unknown;
  /** Not an id: a batch of small files, one new in the victim's folder and one a new revision of the victim's file. */
  batchIntoFolder?: unknown;
}

/** Every route of the app as "METHOD /path/:param", but the web app's files, which the last two entries serve to anyone. */
export function appRoutes(app: Harness['app']): string[] {
  const seen = new Set<string>();
  for (const route of app.routes) {
    if (route.method !== 'ALL' && route.path !== '/*') seen.add(`${route.method} ${route.path}`);
  }
  return [...seen];
}

/** The victim's account, and its rows that routes name. */
export async function makeVictim(h: Harness): Promise<{ victim: Victim; victimUser: SharingUser }> {
  const victimUser = await makeSharingUser(h);
  const root = await createRoot(victimUser);
  const folder = await createFolder(victimUser, root);
  const file = await encryptFile(new Uint8Array(100));
  const uploaded = await uploadFile(victimUser, file, folder);
  const thumbnail = await encryptThumbnail(file.fileKey, file.nodeId, 1, new Uint8Array(50));
  await ok(victimUser.request(`/api/revisions/${uploaded.revisionId}/thumbnail`, { method: 'PUT', body: thumbnail }));
  const open = await startUpload(victimUser, await encryptFile(new Uint8Array(100)), folder);
  const [session] = await h.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, victimUser.id));
  const third = await ok<{ id: string }>(
    victimUser.request('/api/shares', json({ grant: await grantFor(victimUser, await makeSharingUser(h), folder) })),
    201,
  );
  const link = await makeLink(h, victimUser, { id: folder, kind: 'folder' });
  const requestLink = await makeRequestLink(victimUser, folder, { maxFiles: 100 });
  const requestFile = await encryptFile(new Uint8Array(100));
  const requestUpload = await beginRequestUpload(h, victimUser, requestLink.id, folder, requestFile);
  const pending = await strangerUploads(h, victimUser, requestLink.id, folder);
  const victim: Victim = {
    requestLink: requestLink.id,
    requestUpload: requestUpload.id,
    pendingUpload: pending.upload.id,
    requestChunk: requestFile.chunks[0]!,
    uploadThroughRequestLink: await requestUploadBody(
      victimUser,
      requestLink.id,
      folder,
      await encryptFile(new Uint8Array(100)),
    ),
    requestLinkOfFolder: await requestLinkBody(victimUser, folder),
    folder,
    root,
    share: third.id,
    file: file.nodeId,
    revision: uploaded.revisionId,
    upload: open.uploadId,
    session: session!.id,
    user: victimUser.id,
    link: link.id,
    linkToken: link.token,
  };
  victim.linkOfFolder = (await linkBody(victimUser.id, { id: folder, kind: 'folder' })).body;
  victim.uploadIntoFolder = createUploadRequest(await encryptFile(new Uint8Array(100)), folder);
  const small = (file: Awaited<ReturnType<typeof encryptFile>>, parentId?: string) => {
    const { header, newFile } = createUploadRequest(file, parentId);
    return { nodeId: file.nodeId, newFile, header, chunk: encodeBase64url(file.chunks[0]!) };
  };
  victim.batchIntoFolder = {
    files: [
      small(await encryptFile(new Uint8Array(100)), folder),
      small(await encryptFile(new Uint8Array(100), { nodeId: victim.file, revision: 2 })),
    ],
  };
  return { victim, victimUser };
}
