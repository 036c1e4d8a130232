/**
 * Who sent a POST to the share target, as far as the service worker can tell. The manifest's share_target makes
 * /share-target a URL any web page can post a form to, so the worker refuses what provably did not come from the
 * system share sheet. What Chromium 156 shows the worker of such a navigation (seen with a worker that logged every
 * field; tests/e2e/share-target.test.ts tests the refusals and the case that cannot be told):
 *
 * - `request.mode` is 'navigate' and `request.destination` 'document' for a top-level form post, 'iframe' for one into
 *   a frame (and a frame on another site's page is in another storage partition, where this worker does not run).
 *   The share sheet always opens a top-level navigation.
 * - The `Origin` header is visible and set by the browser: the sending page's origin, or "null" when its referrer
 *   policy is no-referrer (or its origin is opaque). The share sheet's navigation is started by the browser, not by a
 *   page (Chromium's share launch passes no initiator and no referrer), so its Origin is absent or "null".
 * - `request.referrer` is the sending page's URL or origin, or '' under no-referrer; '' for the share sheet.
 * - Not visible: Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest and Sec-Fetch-User, which the network stack adds after
 *   the worker. And `event.clientId` names the document the navigated window shows now, not the sender: a page of
 *   another site that opens Coffer in a window and posts into it gets Coffer's own client, so it proves nothing.
 *
 * So a page of another site that sets no-referrer looks exactly like the share sheet. Its files are kept, and the user
 * accepts or discards each one (Dashboard's shared inbox) before anything is encrypted or uploaded.
 */

/** Why the share must be refused, naming its sender; null when nothing shows it came from anywhere but this app. */
export function foreignSender(request: Request, appOrigin: string): string | null {
  if (request.mode !== 'navigate' || request.destination !== 'document') {
    return 'a script or a frame';
  }
  const origin = request.headers.get('origin');
  if (origin && origin !== 'null' && origin !== appOrigin) return origin;
  if (request.referrer && new URL(request.referrer).origin !== appOrigin) return new URL(request.referrer).origin;
  return null;
}
