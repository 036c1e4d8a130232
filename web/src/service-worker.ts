/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/// <reference types="@sveltejs/kit" />
/**
 * Coffer's service worker: the pinned app shell, online and offline, the share target, downloads decrypted as they
 * stream to disk, and video and audio previews decrypted range by range as they play.
 * It pins one build (threat model row 11): tools/pin-build.ts writes the SHA-256 of every file of the shell into this
 * worker, which installs only a shell that matches them and then serves those copies and never the server's. A new
 * build waits until the user accepts it (BuildNotice.svelte). It caches nothing else, ever; see goesStraightToNetwork.
 * SvelteKit builds it to /service-worker.js and registers it from the boot script.
 */
import {
  acceptDownload,
  downloadResponse,
  isDownloadMessage,
  isDownloadRequest,
} from '$lib/download/download-route.ts';
import { acceptMedia, isMediaMessage, isMediaRequest, mediaResponse } from '$lib/preview/media-route.ts';
import { ASK_BUILD, RUN_NEW_BUILD, isMessage, type BuildIdentity, type BuildNews } from '$lib/pwa/build-messages.ts';
import { PINNED_BUILD_PLACEHOLDER, type PinnedBuild } from '$lib/pwa/pinned-build.ts';
import { foreignSender } from '$lib/pwa/share-sender.ts';
import { workerHeaders, workerTextResponse } from '$lib/pwa/worker-response.ts';
import { storeSharedFiles } from '$lib/pwa/shared-inbox.ts';
import { toHex } from '$shared/crypto/bytes.ts';

const worker = self as unknown as ServiceWorkerGlobalScope;

/** This worker's build, written in by tools/pin-build.ts. */
const PINNED = JSON.parse(PINNED_BUILD_PLACEHOLDER) as PinnedBuild;
const IDENTITY: BuildIdentity = { version: PINNED.version, buildHash: PINNED.buildHash };
/** One cache per build: a new build installs beside the old one and deletes it when it takes over. */
const SHELL_CACHE = `coffer-shell-${PINNED.buildHash}`;
/** The SPA's one page (adapter-static's fallback), which the server answers for every app route. */
const INDEX = 'index.html';
/** The operator's endpoints (server/ops), which are not the app's routes. */
const OPERATOR_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/** Set once the server's page was seen to differ from the pinned one with no new build to explain it. */
let serverPageDiffers: BuildNews | null = null;
/** The manifest's share_target action. */
const SHARE_TARGET = '/share-target';

worker.addEventListener('install', (event) => {
  // No skipWaiting here: the served code is what users trust with their keys, so a new build waits, whatever tabs are
  // open, until the user accepts it (RUN_NEW_BUILD). The first install has nothing to wait for and runs at once.
  event.waitUntil(Promise.all([routeApiToNetwork(event), precacheShell()]));
});

worker.addEventListener('activate', (event) => {
  // The pages already open take this worker at once, the one that registered it included: a stranger opening a share
  // link is almost always on a first visit, and a page no worker controls must hold a whole download in memory
  // (save-download.ts). Nothing here assumes a page it did not load: its API requests still go straight to the
  // network (goesStraightToNetwork, the static route) and its scripts come from this build's pinned cache.
  event.waitUntil(Promise.all([deleteOtherCaches(), worker.clients.claim()]));
});

worker.addEventListener('message', (event) => {
  if (isDownloadMessage(event.data)) acceptDownload(event.data, event.ports[0]);
  else if (isMediaMessage(event.data)) acceptMedia(event.data, event.ports[0]);
  else if (isMessage(event.data, ASK_BUILD)) event.ports[0]?.postMessage({ ...IDENTITY, news: serverPageDiffers });
  // Only a page sends this, when the user pressed its button; a waiting worker then takes over.
  else if (isMessage(event.data, RUN_NEW_BUILD)) event.waitUntil(worker.skipWaiting());
});

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method === 'GET' && url.origin === worker.location.origin && isDownloadRequest(url)) {
    // A stream, decrypted chunk by chunk as the download manager reads it, and never stored. Every response the worker
    // makes itself carries workerHeaders (lib/pwa/worker-response.ts).
    event.respondWith(downloadResponse(url));
  } else if (request.method === 'GET' && url.origin === worker.location.origin && isMediaRequest(url)) {
    // Each range the media element asks for, decrypted from just the chunks that hold it, and never stored.
    event.respondWith(mediaResponse(request, url));
  } else if (isShare(request)) {
    event.respondWith(receiveShare(request));
  } else if (!goesStraightToNetwork(request)) {
    event.respondWith(request.mode === 'navigate' ? pinnedPage(event) : pinnedFileOrNetwork(request));
  }
});

/**
 * Decrypted data and API responses must never enter the cache. What the API returns is the account's wrapped keys,
 * encrypted metadata and ciphertext, and what the app decrypts from them lives in memory only; a cached copy would
 * outlive locking and signing out on a disk the user may not control. So the worker does not even answer these
 * requests: API calls, other origins and anything but GET go to the network as if there were no worker. The only
 * responses it ever stores are the app shell's, at install (precacheShell); at run time it stores nothing.
 */
function goesStraightToNetwork(request: Request): boolean {
  const url = new URL(request.url);
  return (
    request.method !== 'GET' ||
    url.origin !== worker.location.origin ||
    url.pathname.startsWith('/api/') ||
    OPERATOR_PATHS.has(url.pathname)
  );
}

/** The Service Worker Static Routing API (Chromium 123 and later); other browsers have no `addRoutes`. */
interface InstallEventWithRoutes extends ExtendableEvent {
  addRoutes?: (rules: { condition: { urlPattern: { pathname: string } }; source: 'network' }[]) => Promise<void>;
}

/**
 * Sends the page's API requests to the network without waking this worker at all. goesStraightToNetwork declines
 * them anyway, but only after the browser has dispatched a fetch event, with a copy of the request's body. Chromium
 * does not apply static routes to dedicated workers' requests; web/static/worker-scope-sw.js keeps the upload
 * workers' away from here. Browsers without static routes still get the fetch handler's answer.
 */
async function routeApiToNetwork(event: ExtendableEvent): Promise<void> {
  const { addRoutes } = event as InstallEventWithRoutes;
  if (!addRoutes) return;
  try {
    await addRoutes.call(event, [{ condition: { urlPattern: { pathname: '/api/*' } }, source: 'network' }]);
  } catch (error) {
    // The fetch handler is still correct without the route, only slower; an install must not fail for it.
    console.warn('Static routes were refused:', error);
  }
}

function isShare(request: Request): boolean {
  const url = new URL(request.url);
  return request.method === 'POST' && url.origin === worker.location.origin && url.pathname === SHARE_TARGET;
}

/**
 * Fetches every file of the pinned shell and checks it against the hash baked into this worker. One file that differs
 * and nothing is kept: the install fails, the build already running stays, and the pages are told which files differed.
 */
async function precacheShell(): Promise<void> {
  const fetched = await Promise.all(Object.entries(PINNED.files).map(([path, sha256]) => fetchPinned(path, sha256)));
  const problems = fetched.flatMap(({ problem }) => (problem ? [problem] : []));
  if (problems.length > 0) {
    await tellPages({ type: 'coffer-build-refused', ...IDENTITY, problems });
    throw new Error(`Coffer ${PINNED.version} (build ${PINNED.buildHash}) refused: ${problems.join('; ')}`);
  }
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(fetched.map(({ path, response }) => cache.put(path, response)));
}

async function fetchPinned(
  file: string,
  sha256: string,
): Promise<{ path: string; response: Response; problem?: string }> {
  const path = `/${file}`;
  // no-cache: the index and the static files have no hash in their names, and the HTTP cache may hold an older build's.
  const response = await fetch(path, { cache: 'no-cache' });
  if (!response.ok) return { path, response, problem: `${path}: the server answered ${response.status}` };
  const received = await sha256Hex(await response.clone().arrayBuffer());
  if (received === sha256) return { path, response };
  return { path, response, problem: `${path}: expected SHA-256 ${sha256}, received ${received}` };
}

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/** Every Coffer page, the ones no worker controls yet included: a refused build is news to all of them. */
async function tellPages(news: BuildNews): Promise<void> {
  for (const page of await worker.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
    page.postMessage(news);
  }
}

/** Every cache of this origin is the worker's, and only the current build's shell belongs. */
async function deleteOtherCaches(): Promise<void> {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name)));
}

/**
 * The pinned page for every app route, online or not: the server's copy runs only as part of a new build the user
 * accepted. The server's copy is still compared in the background, so that a change that came without one is told.
 */
function pinnedPage(event: FetchEvent): Promise<Response> {
  event.waitUntil(compareServerPage());
  return pinnedFile(INDEX);
}

/**
 * A server that changes the page without a new worker is serving code this worker did not pin: the pages say so.
 * A page that differs because a new build arrived is the new worker's to check (precacheShell), and BuildNotice's.
 */
async function compareServerPage(): Promise<void> {
  let received: string;
  try {
    const response = await fetch(`/${INDEX}`, { cache: 'no-cache' });
    if (!response.ok) return;
    received = await sha256Hex(await response.arrayBuffer());
  } catch {
    // Offline: there is nothing to compare.
    return;
  }
  if (received === PINNED.files[INDEX]) {
    serverPageDiffers = null;
    return;
  }
  await worker.registration.update().catch(() => undefined);
  if (worker.registration.installing || worker.registration.waiting) return;
  serverPageDiffers = { type: 'coffer-server-page-differs', ...IDENTITY };
  await tellPages(serverPageDiffers);
}

/** The pinned copy of a shell file, never the server's; anything else is not the shell and goes to the network. */
function pinnedFileOrNetwork(request: Request): Promise<Response> {
  const file = new URL(request.url).pathname.slice(1);
  return Object.hasOwn(PINNED.files, file) ? pinnedFile(file) : fetch(request);
}

/**
 * The cached copy; or, should the browser have evicted the cache, the server's copy if it still matches the pinned
 * hash, and an error page saying what differed if not.
 */
async function pinnedFile(file: string): Promise<Response> {
  const cached = await caches.match(`/${file}`, { cacheName: SHELL_CACHE });
  if (cached) return cached;
  const { response, problem } = await fetchPinned(file, PINNED.files[file]!);
  if (!problem) return response;
  return workerTextResponse(
    502,
    `Coffer ${PINNED.version} (build ${PINNED.buildHash}) refused a file the server sent: ${problem}.`,
  );
}

/**
 * Keeps the shared files on this device and opens the app, which lists them for the user to accept or discard once it
 * can encrypt them. A post that provably came from another site (see share-sender.ts) is refused before its body is
 * read: nothing is stored, and the page says why.
 */
async function receiveShare(request: Request): Promise<Response> {
  const sender = foreignSender(request, worker.location.origin);
  if (sender) {
    return workerTextResponse(
      403,
      `Coffer accepts shares only from this device's share menu. This one came from ${sender}; nothing was kept.`,
    );
  }
  const form = await request.formData();
  await storeSharedFiles(form.getAll('files').filter((entry) => entry instanceof File));
  return new Response(null, {
    status: 303,
    headers: workerHeaders({ location: new URL('/?shared=1', worker.location.origin).href }),
  });
}
