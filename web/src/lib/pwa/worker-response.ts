/**
 * The headers of every response the service worker makes itself: downloads, media previews, the share target's
 * redirect and its errors. Such a response carries none of the server's headers, its Content-Security-Policy
 * included, so a document made from one (a preview's address opened in a tab of its own) would run in Coffer's origin
 * under no policy at all. `sandbox` makes any such document an opaque origin without script, nosniff holds the browser
 * to the type given, and no-store keeps the plaintext out of every cache.
 */
export function workerHeaders(headers: Record<string, string> = {}): Headers {
  return new Headers({
    ...headers,
    'content-security-policy': 'sandbox',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
}

/** An error the worker answers with: plain text, with the worker's headers. */
export function workerTextResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: workerHeaders({ 'content-type': 'text/plain; charset=utf-8' }) });
}
