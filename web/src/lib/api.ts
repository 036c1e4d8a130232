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
    throw new ApiRequestError(
      error?.code ?? 'HTTP_ERROR',
      error?.message ?? `the server answered ${response.status}`,
      response.status,
    );
  }
  return json as T;
}
