/**
 * PUTs one encrypted segment of an upload, retrying network failures and 5xx/429 answers. The page sends the segments
 * the upload worker encrypted, not the worker: every request a dedicated worker makes wakes the service worker that
 * controls it, with a copy of its body, and that service worker must have a fetch handler to pin the workers' scripts
 * (static/worker-scope-sw.js). The page's API requests take the app service worker's static route to the network.
 * The body is the worker's Blob, sent by reference: the page's thread neither copies nor reads its bytes.
 */
import { ApiRequestError } from '../api.ts';
import type { Segment } from './segment-plan.ts';

/** Network failures and 5xx/429 answers are retried, waiting longer each time, up to this many times in a row. */
const MAX_RETRIES = 8;

export async function sendSegment(
  uploadId: string,
  segment: Segment,
  body: Blob,
  signal: AbortSignal,
  retrying: (problem: string) => void,
): Promise<void> {
  const url = `/api/uploads/${uploadId}/chunks/${segment.first}?count=${segment.count}`;
  for (let attempt = 0; ; attempt++) {
    let retryAfterMs: number | undefined;
    let problem: string;
    try {
      const response = await fetch(url, { method: 'PUT', body, credentials: 'same-origin', signal });
      if (response.ok) return;
      const error = await readError(response);
      if (response.status !== 429 && response.status < 500) throw error;
      retryAfterMs = Number(response.headers.get('retry-after')) * 1000 || undefined;
      problem = error.message;
    } catch (error) {
      if (error instanceof ApiRequestError || signal.aborted) throw error;
      problem = 'the connection to the server was lost';
    }
    if (attempt >= MAX_RETRIES) throw new ApiRequestError('NETWORK', `Upload stopped: ${problem}.`, 0);
    const delayMs = retryAfterMs ?? Math.min(30_000, 500 * 2 ** attempt);
    retrying(problem);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

async function readError(response: Response): Promise<ApiRequestError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  return new ApiRequestError(
    body?.error?.code ?? 'HTTP_ERROR',
    body?.error?.message ?? `the server answered ${response.status}`,
    response.status,
  );
}
