import type { UploadRecord, UploadsResponse } from '../../shared/api/responses.ts';
import type { Actor } from '../access/policy.ts';
import type { ServerDeps } from '../deps.ts';
import { uploadJson } from './upload-json.ts';
import { loadUpload, openUploads } from './upload-rows.ts';

/** The actor's unfinished uploads, to resume after a reload. */
export async function listOpenUploads({ db }: ServerDeps, actor: Actor): Promise<UploadsResponse> {
  return { uploads: await Promise.all((await openUploads(db, actor)).map((upload) => uploadJson(db, upload))) };
}

export async function readUpload({ db }: ServerDeps, actor: Actor, uploadId: string): Promise<UploadRecord> {
  return uploadJson(db, await loadUpload(db, actor, uploadId));
}
