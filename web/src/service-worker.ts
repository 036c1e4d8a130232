/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/// <reference types="@sveltejs/kit" />
/**
 * Coffer's service worker: the app shell offline, the share target, downloads decrypted as they stream to disk, and
 * video and audio previews decrypted range by range as they play.
 * It caches the files of one build at install and nothing else, ever; see goesStraightToNetwork. SvelteKit builds it to /service-worker.js and registers it from the
 * boot script.
 */
import { build, files, version } from '$service-worker';
import {
  acceptDownload,
  downloadResponse,
  isDownloadMessage,
  isDownloadRequest,
} from '$lib/download/download-route.ts';
import { acceptMedia, isMediaMessage, isMediaRequest, mediaResponse } from '$lib/preview/media-route.ts';
import { foreignSender } from '$lib/pwa/share-sender.ts';
import { workerHeaders, workerTextResponse } from '$lib/pwa/worker-response.ts';
import { storeSharedFiles } from '$lib/pwa/shared-inbox.ts';

const worker = self as unknown as ServiceWorkerGlobalScope;

/** One cache per build: a new build installs beside the old one and deletes it when it takes over. */
const SHELL_CACHE = `coffer-shell-${version}`;
/** The SPA's one page (adapter-static's fallback), which the server answers for every app route. */
const INDEX = '/';
/** The manifest's share_target action. */
const SHARE_TARGET = '/share-target';

worker.addEventListener('install', (event) => {
  // A new build takes over as soon as it is installed rather than when every Coffer tab is closed: the served code is
  // what users trust with their keys, so a fix must not wait on a tab left open for a week.
  event.waitUntil(Promise.all([routeApiToNetwork(event), precacheShell()]).then(() => worker.skipWaiting()));
});

worker.addEventListener('activate', (event) => {
  // The pages already open take this worker at once, the one that registered it included: a stranger opening a share
  // link is almost always on a first visit, and a page no worker controls must hold a whole download in memory
  // (save-download.ts). Nothing here assumes a page it did not load: its API requests still go straight to the
  // network (goesStraightToNetwork, the static route) and its scripts come from this build's cache or the network.
  event.waitUntil(Promise.all([deleteOtherCaches(), worker.clients.claim()]));
});

worker.addEventListener('message', (event) => {
  if (isDownloadMessage(event.data)) acceptDownload(event.data, event.ports[0]);
  else if (isMediaMessage(event.data)) acceptMedia(event.data, event.ports[0]);
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
    event.respondWith(request.mode === 'navigate' ? pageOrOfflineShell(request) : shellFileFirst(request));
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
  return request.method !== 'GET' || url.origin !== worker.location.origin || url.pathname.startsWith('/api/');
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
 * The build's files, the static files (manifest, icons), the index page, and the boot script the index names:
 * tools/externalize-boot-script.ts writes that script after SvelteKit has listed the build, so only the page knows it.
 */
async function precacheShell(): Promise<void> {
  // no-cache: the index and the static files have no hash in their name, and the HTTP cache may hold an older build's.
  const index = await fetch(INDEX, { cache: 'no-cache' });
  if (!index.ok) throw new Error(`the index page answered ${index.status}`);
  const html = await index.clone().text();
  const scripts = [...html.matchAll(/<script src="(\/[^"]+)"/g)].map((match) => match[1]!);
  const cache = await caches.open(SHELL_CACHE);
  await cache.addAll([...build, ...files, ...scripts].map((url) => new Request(url, { cache: 'no-cache' })));
  await cache.put(INDEX, index);
}

/** Every cache of this origin is the worker's, and only the current build's shell belongs. */
async function deleteOtherCaches(): Promise<void> {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name)));
}

/** The network first, so that an online user always gets the current build; the cached index when offline. */
async function pageOrOfflineShell(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (offline) {
    const shell = await caches.match(INDEX, { cacheName: SHELL_CACHE });
    if (!shell) throw offline;
    return shell;
  }
}

/** The cache holds exactly this build's shell, so a file found there is current: the network (unstored) if not. */
async function shellFileFirst(request: Request): Promise<Response> {
  return (await caches.match(request, { cacheName: SHELL_CACHE })) ?? fetch(request);
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
