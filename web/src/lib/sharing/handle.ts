/** The account's public handle: what others type to find it and share with it. */
import type { HandleResponse } from '$shared/api/responses.ts';
import type { SetHandleRequest } from '$shared/api/schemas.ts';
import { api } from '../api.ts';

export async function setHandle(handle: string): Promise<string> {
  return (await api<HandleResponse>('PUT', '/api/account/handle', { handle } satisfies SetHandleRequest)).handle;
}
