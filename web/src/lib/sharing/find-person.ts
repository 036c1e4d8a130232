/** Finding an account by its handle: its id and published keys, which the contact book pins or checks. */
import type { HandleLookupResponse } from '$shared/api/responses.ts';
import { api } from '../api.ts';

export function findPerson(handle: string): Promise<HandleLookupResponse> {
  return api<HandleLookupResponse>('GET', `/api/handles/${encodeURIComponent(handle.trim().replace(/^@/, ''))}`);
}
