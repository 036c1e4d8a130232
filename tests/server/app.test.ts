import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './harness.ts';

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

  it('logs every request with its request id', async () => {
    const response = await h.app.request('/api/health');
    const id = response.headers.get('x-request-id')!;
    expect(h.logs).toContainEqual(expect.stringMatching(new RegExp(`^\\[${id}\\] GET /api/health 200 `)));
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
      expect(directives.get('script-src')).toBe("'self'");
      expect(directives.get('style-src')).toBe("'self'");
      // Only style attributes may be inline (SvelteKit's screen-reader announcer); never scripts or <style>.
      expect(directives.get('style-src-attr')).toBe("'unsafe-inline'");
      expect(directives.get('default-src')).toBe("'self'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
