import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { sessions } from '../../server/db/schema.ts';
import { hashSessionToken, SESSION_COOKIE } from '../../server/http/auth.ts';
import { encryptThumbnail } from '../../shared/crypto/index.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { createRoot, encryptFile, ok, uploadFile } from './client.ts';
import { createHarness, ORIGIN, type Harness, type TestUser } from './harness.ts';
import type { Database } from '../../server/db/database.ts';

describe('app', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite');
  });
  afterAll(() => h.close());

  it('answers /api/health without a session, with a request id', async () => {
    const response = await h.app.request('/api/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: 'test' });
    expect(response.headers.get('x-request-id')).toMatch(/.+/);
  });

  it('logs every request as one JSON object a line, with its request id and route', async () => {
    const response = await h.app.request('/api/health');
    const id = response.headers.get('x-request-id')!;
    expect(h.logs.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const lines = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 30,
        msg: 'request',
        requestId: id,
        method: 'GET',
        path: '/api/health',
        route: '/api/health',
        status: 200,
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    );
  });

  it('logs an unexpected failure as one JSON line with its request id and the error', async () => {
    const lines: string[] = [];
    // A database that fails every query: the request fails in a way no route expects.
    const failure = new Error('disk on fire');
    const failing = createApp({
      db: new Proxy(
        {},
        {
          get: () => () => {
            throw failure;
          },
        },
      ) as Database,
      blobs: h.blobs,
      webRoot: 'web/build',
      version: 'test',
      publicOrigin: ORIGIN,
      defaultQuotaBytes: 1024 ** 3,
      log: (line) => lines.push(line),
    });
    const response = await failing.request('/api/account', { headers: { cookie: `${SESSION_COOKIE}=x` } });
    expect(response.status).toBe(500);
    const id = response.headers.get('x-request-id')!;
    const logged = lines.map((line) => JSON.parse(line) as { requestId?: string; level: number; err?: object });
    expect(logged).toContainEqual(
      expect.objectContaining({ requestId: id, level: 50, err: expect.objectContaining({ message: 'disk on fire' }) }),
    );
  });

  it('logs neither query strings, cookies nor bodies, where secrets could travel', async () => {
    const user = await h.makeUser();
    const marker = `secret-${crypto.randomUUID()}`;
    await user.request(`/api/uploads?key=${marker}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-extra': marker },
      body: JSON.stringify({ wrappedKey: marker }),
    });
    await h.app.request(`/some/page?fragment-like=${marker}`);
    const token = user.cookie.split('=')[1]!;
    expect(h.logs.length).toBeGreaterThanOrEqual(2);
    expect(h.logs.filter((line) => line.includes(marker) || line.includes(token))).toEqual([]);
    expect(h.logs.map((line) => Object.keys(JSON.parse(line) as object).sort())).not.toContainEqual(
      expect.arrayContaining(['headers']),
    );
  });

  it('answers unknown API routes with the JSON error contract', async () => {
    const user = await h.makeUser();
    const response = await user.request('/api/nope', { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no API route POST /api/nope' } });
  });

  it('serves the page with a strict CSP and no referrer', async () => {
    for (const path of ['/', '/some/deep/link']) {
      const response = await h.app.request(path);
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain('<title>Coffer</title>');
      // The built app starts from a script file: the CSP below would refuse an inline one.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      const directives = new Map(
        (response.headers.get('content-security-policy') ?? '').split(';').map((directive) => {
          const [name, ...values] = directive.trim().split(/\s+/);
          return [name!, values.join(' ')];
        }),
      );
      // WebAssembly for the passphrase KDF (Argon2id), and nothing else: no eval, no inline script.
      expect(directives.get('script-src')).toBe("'self' 'wasm-unsafe-eval'");
      expect(directives.get('style-src')).toBe("'self'");
      // Only style attributes may be inline (SvelteKit's screen-reader announcer); never scripts or <style>.
      expect(directives.get('style-src-attr')).toBe("'unsafe-inline'");
      expect(directives.get('default-src')).toBe("'self'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('turns off the browser features Coffer does not use, and keeps passkeys and fullscreen', async () => {
    for (const path of ['/', '/api/health']) {
      const policy = new Map(
        ((await h.app.request(path)).headers.get('permissions-policy') ?? '').split(',').map((entry) => {
          const [feature, allowlist] = entry.trim().split('=');
          return [feature!, allowlist!];
        }),
      );
      for (const feature of [
        'camera',
        'microphone',
        'geolocation',
        'payment',
        'usb',
        'clipboard-read',
        'clipboard-write',
      ]) {
        expect(policy.get(feature), feature).toBe('()');
      }
      expect(policy.get('publickey-credentials-get')).toBe('(self)');
      expect(policy.get('fullscreen')).toBe('(self)');
      // Not listed, so it keeps its default, the page's own origin: adding a passkey must work.
      expect(policy.has('publickey-credentials-create')).toBe(false);
    }
  });

  it('asks for Trusted Types: DOM sinks take only what the named policies make', async () => {
    const csp = (await h.app.request('/')).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).toContain('trusted-types svelte-trusted-html sveltekit-trusted-url default');
  });

  it('sends HSTS only when the public origin is https', async () => {
    expect((await h.app.request('/')).headers.get('strict-transport-security')).toBeNull();
    const overHttps = createApp({
      db: h.db,
      blobs: h.blobs,
      webRoot: 'web/build',
      version: 'test',
      publicOrigin: 'https://coffer.example',
      defaultQuotaBytes: 1024 ** 3,
      log: () => undefined,
    });
    expect((await overHttps.request('/api/health')).headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  });

  describe('caching', () => {
    let user: TestUser;
    let revisionId: string;
    beforeAll(async () => {
      user = await h.makeUser();
      const root = await createRoot(user);
      const file = await encryptFile(patternBytes(3000));
      ({ revisionId } = await uploadFile(user, file, root));
      const thumbnail = await encryptThumbnail(file.fileKey, file.nodeId, 1, patternBytes(500));
      await ok(
        user.request(`/api/revisions/${revisionId}/thumbnail`, {
          method: 'PUT',
          body: thumbnail as Uint8Array<ArrayBuffer>,
        }),
      );
    });

    it('forbids storing any API response, errors and refusals included', async () => {
      const responses = [
        await h.app.request('/api/health'),
        await h.app.request('/api/account'),
        await user.request('/api/account'),
        await user.request('/api/account/sessions'),
        await user.request(`/api/revisions/${revisionId}`),
        await user.request('/api/nope'),
        await user.request(`/api/revisions/${crypto.randomUUID()}/content`),
        await h.app.request('/api/account/sign-out', {
          method: 'POST',
          headers: { origin: 'https://elsewhere.example' },
        }),
      ];
      expect(responses.map((response) => response.status)).toEqual([200, 401, 200, 200, 200, 404, 404, 403]);
      for (const response of responses) expect(response.headers.get('cache-control'), response.url).toBe('no-store');
    });

    it('lets the browser keep the immutable ciphertext of a revision, privately', async () => {
      for (const path of [`content`, `chunks/0`, `thumbnail`]) {
        const response = await user.request(`/api/revisions/${revisionId}/${path}`);
        expect(response.status, path).toBe(200);
        expect(response.headers.get('cache-control'), path).toBe('private, max-age=31536000, immutable');
        const etag = response.headers.get('etag')!;
        const again = await user.request(`/api/revisions/${revisionId}/${path}`, {
          headers: { 'if-none-match': etag },
        });
        expect(again.status).toBe(304);
        expect(again.headers.get('cache-control'), path).toBe('private, max-age=31536000, immutable');
      }
      const range = await user.request(`/api/revisions/${revisionId}/content`, { headers: { range: 'bytes=0-99' } });
      expect(range.status).toBe(206);
      expect(range.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      // An error of the same route is never kept.
      const outside = await user.request(`/api/revisions/${revisionId}/chunks/99`);
      expect(outside.status).toBe(400);
      expect(outside.headers.get('cache-control')).toBe('no-store');
    });
  });

  describe('signing out clears the HTTP cache', () => {
    /** A second session of the user, as another device's sign-in makes. */
    async function secondSession(user: TestUser) {
      const token = crypto.randomUUID();
      const [row] = await h.db
        .insert(sessions)
        .values({
          tokenHash: await hashSessionToken(token),
          userId: user.id,
          expiresAt: new Date(h.clock.now.getTime() + 60 * 60 * 1000),
        })
        .returning({ id: sessions.id });
      return { id: row!.id, cookie: `${SESSION_COOKIE}=${token}` };
    }
    /** Signing out everywhere and other sessions needs a recent passkey check (step-up); this user just had one. */
    async function steppedUpUser() {
      const user = await h.makeUser();
      await h.db.update(sessions).set({ steppedUpAt: h.clock.now }).where(eq(sessions.userId, user.id));
      return user;
    }
    const currentSession = async (user: TestUser) =>
      (await ok<{ sessions: { id: string; current: boolean }[] }>(user.request('/api/account/sessions'))).sessions.find(
        (session) => session.current,
      )!.id;

    it('on sign-out and on signing out everywhere', async () => {
      for (const path of ['/api/account/sign-out', '/api/account/sign-out-everywhere']) {
        const user = await steppedUpUser();
        const response = await user.request(path, { method: 'POST' });
        expect(response.status, path).toBe(204);
        expect(response.headers.get('clear-site-data'), path).toBe('"cache"');
      }
    });

    it("when the session revoked is this one, and not when it is another device's", async () => {
      const user = await steppedUpUser();
      const other = await secondSession(user);
      const revokedOther = await user.request(`/api/account/sessions/${other.id}`, { method: 'DELETE' });
      expect(revokedOther.status).toBe(204);
      expect(revokedOther.headers.get('clear-site-data')).toBeNull();
      const revokedSelf = await user.request(`/api/account/sessions/${await currentSession(user)}`, {
        method: 'DELETE',
      });
      expect(revokedSelf.status).toBe(204);
      expect(revokedSelf.headers.get('clear-site-data')).toBe('"cache"');
    });

    it('not on other account requests, nor on a refused sign-out', async () => {
      const user = await h.makeUser();
      expect((await user.request('/api/account')).headers.get('clear-site-data')).toBeNull();
      const refused = await h.app.request('/api/account/sign-out', {
        method: 'POST',
        headers: { origin: 'http://localhost:8080' },
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('clear-site-data')).toBeNull();
    });
  });
});
