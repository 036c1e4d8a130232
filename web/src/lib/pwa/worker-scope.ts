/** Registers web/static/worker-scope-sw.js, which keeps the Web Workers' requests away from the app's service worker. */
import { base } from '$app/paths';

const WORKER_SCOPE_SCRIPT = `${base}/worker-scope-sw.js`;
/** Where SvelteKit writes the bundled Web Workers (its appDir, then immutable/workers). */
const WORKER_SCOPE = `${base}/_app/immutable/workers/`;

export function registerWorkerScope(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register(WORKER_SCOPE_SCRIPT, { scope: WORKER_SCOPE }).catch((error: unknown) => {
    // Without it the workers' requests still work, only through the app's service worker.
    console.warn('The service worker for Web Workers was not registered:', error);
  });
}
