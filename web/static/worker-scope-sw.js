/*
 * The service worker for Coffer's Web Workers only (their scripts are under /_app/immutable/workers/). It has no fetch
 * handler, so the browser sends the workers' requests straight to the network. Under the app's own service worker,
 * Chromium dispatched a fetch event for every upload request a worker made, copying each body into the service
 * worker's process first, where the bodies waited for a garbage collection (docs/BENCHMARKS.md, "The web app's
 * upload"). The app's static route for
 * /api/* does not help there, since Chromium applies static routes to pages' requests but not to dedicated workers'.
 * A dedicated worker is controlled by the registration whose scope matches its script's URL, and this one's is the
 * longest match.
 */
self.addEventListener('install', () => self.skipWaiting());
