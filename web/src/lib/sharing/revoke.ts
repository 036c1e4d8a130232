/** The owner removes someone's access: the server refuses them from then on. */
import type { ShareRecord } from '$shared/api/responses.ts';
import { api } from '../api.ts';

export async function revokeShare(share: ShareRecord): Promise<void> {
  await api('DELETE', `/api/shares/${share.id}`);
}
