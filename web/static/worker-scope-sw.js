/*
 * The service worker for Coffer's Web Workers only (their scripts are under /_app/immutable/workers/). It pins their
 * scripts (threat model row 11): tools/pin-build.ts writes the SHA-256 of every file of the shell into PINNED in place
 * of the placeholder, and a worker's script, or a script it imports, runs only if its bytes match. Anything else is
 * answered with a script that throws, so the worker refuses to run and the page shows why (the Worker's error event).
 * The bytes are the server's, through the HTTP cache, checked every time; offline, the app service worker's copy.
 *
 * A dedicated worker is controlled by the registration whose scope matches its script's URL, and this one's is the
 * longest match. Chromium dispatches a fetch event here for every request such a worker makes, copying any body into
 * this process first, and applies no static route to them (docs/BENCHMARKS.md, "The web app's upload"); so the
 * workers send nothing themselves: the upload's PUTs go from the page (lib/upload/segment-sender.ts), whose API
 * requests take the app service worker's static route and reach no service worker at all.
 */
/** This build's shell, written in by tools/pin-build.ts: `{ version, files: { path: sha256 } }`. */
const PINNED = JSON.parse('__COFFER_PINNED_WORKER_SCRIPTS__');

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  if (request.destination === 'worker' || request.destination === 'script') {
    event.respondWith(pinnedScript(new URL(request.url).pathname));
  }
});

/** The script if the bytes at hand match the pinned hash, or a script that throws saying what differed. */
async function pinnedScript(path) {
  const expected = PINNED.files[path.slice(1)];
  if (!expected) return refusal(`${path} is not part of Coffer ${PINNED.version}`);
  let response;
  try {
    response = await fetch(path);
  } catch {
    response = await caches.match(path);
    if (!response) return refusal(`${path} could not be fetched, and no copy is kept on this device`);
  }
  if (!response.ok) return refusal(`${path}: the server answered ${response.status}`);
  const bytes = await response.arrayBuffer();
  const received = await sha256Hex(bytes);
  if (received !== expected) return refusal(`${path}: expected SHA-256 ${expected}, received ${received}`);
  // The bytes are decoded already: the server's encoding and length no longer describe them.
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  return new Response(bytes, { status: 200, headers });
}

function refusal(problem) {
  const message = `Coffer ${PINNED.version} refused a worker script the server sent: ${problem}.`;
  return new Response(`throw new Error(${JSON.stringify(message)});\n`, {
    status: 200,
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'content-security-policy': "default-src 'none'",
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  });
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
