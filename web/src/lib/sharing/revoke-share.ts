/**
 * Removing someone's access to a node: the share is deleted on the server first, so their access ends at once; then,
 * for a folder, its keys and those of every folder below it are rotated (rotate-keys.ts), so that what is added
 * afterwards is under keys they never had. A file's key is not rotated: its content is what they could already read.
 */
import type { RekeyResponse, ShareRecord } from '$shared/api/responses.ts';
import { api } from '../api.ts';
import { rotateFolderKeys, type RotateOptions, type RotationRing } from './rotate-keys.ts';

/**
 * Revokes `share` and, for a folder, rotates its keys: the rotation's counts, or null for a file. If the rotation
 * fails after the share is gone (the network, or a folder that kept changing), access has ended but the keys are not
 * rotated yet: the caller shows the error and offers rotateFolderKeys(ring, share.nodeId, ...) again.
 */
export async function revokeShare(
  ring: RotationRing,
  share: Pick<ShareRecord, 'id' | 'nodeId' | 'kind'>,
  options: RotateOptions,
): Promise<RekeyResponse | null> {
  await (options.send ?? api)('DELETE', `/api/shares/${share.id}`);
  if (share.kind !== 'folder') return null;
  return rotateFolderKeys(ring, share.nodeId, options);
}
