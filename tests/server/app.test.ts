import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';

const app = createApp({ webRoot: 'web/public', version: '9.9.9' });

describe('app skeleton', () => {
  it('answers /api/health', async () => {
    const response = await app.request('/api/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: '9.9.9' });
    expect(response.headers.get('x-request-id')).toMatch(/.+/);
  });

  it('answers unknown API routes with the JSON error contract', async () => {
    const response = await app.request('/api/nope', { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no API route POST /api/nope' } });
  });

  it('serves the page with a strict CSP and no referrer', async () => {
    for (const path of ['/', '/some/deep/link']) {
      const response = await app.request(path);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>Coffer</title>');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
