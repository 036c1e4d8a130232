/**
 * The app's one way to call the API: JSON in and out, and the error contract (`{ error: { code, message } }`) turned
 * into an ApiRequestError whose message is the server's, readable as it is.
 */
export class ApiRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let sessionEnded: ((error: ApiRequestError) => void) | undefined;

/**
 * The refusals that mean the session itself is gone. Other 401s (a wrong or removed passkey at a step-up or a passkey
 * change) refuse that one request, and the session goes on.
 */
const SESSION_ENDED_CODES = new Set(['UNAUTHENTICATED', 'ACCOUNT_DISABLED']);

/**
 * Who hears that the session is gone (a 401 from a route that needs one): signed out elsewhere, expired, or the account
 * disabled by an admin. The auth routes' refusals are the sign-in's own business.
 */
export function whenSessionEnds(listener: (error: ApiRequestError) => void): void {
  sessionEnded = listener;
}

export async function api<T = undefined>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (json as { error?: { code: string; message: string } } | undefined)?.error;
    const failure = new ApiRequestError(
      error?.code ?? 'HTTP_ERROR',
      error?.message ?? `the server answered ${response.status}`,
      response.status,
    );
    if (response.status === 401 && SESSION_ENDED_CODES.has(failure.code) && !path.startsWith('/api/auth/')) {
      sessionEnded?.(failure);
    }
    throw failure;
  }
  return json as T;
}
