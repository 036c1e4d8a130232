/** What the machines that run Coffer ask of it: /healthz, /readyz and /metrics (server/ops/). */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { createFsBlobStore } from '../../server/blobs/fs-blob-store.ts';
import { createS3BlobStore } from '../../server/blobs/s3-blob-store.ts';
import { createRoot, encryptFile, uploadFile } from './client.ts';
import { closedPort } from './closed-port.ts';
import { createHarness, METRICS_TOKEN, ORIGIN, type Harness } from './harness.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

const asMetricsScraper = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };

describe.each(DATABASE_KINDS)('operations routes on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  const appWith = (overrides: Partial<Parameters<typeof createApp>[0]>) =>
    createApp({
      db: h.db,
      blobs: h.blobs,
      webRoot: 'web/build',
      version: 'test',
      publicOrigin: ORIGIN,
      defaultQuotaBytes: 1024 ** 3,
      log: () => undefined,
      ...overrides,
    });

  it('answers /healthz without a session, never from a cache', async () => {
    const response = await h.app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers /readyz 200 when the database and the blob store both answer', async () => {
    const response = await h.app.request('/readyz');
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', blobStore: 'ok' } },
    });
  });

  it('answers /readyz 503 naming the blob store when its directory is gone', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-gone-'));
    const blobs = await createFsBlobStore(root);
    await rm(root, { recursive: true });
    const response = await appWith({ blobs }).request('/readyz');
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('unavailable');
    expect(body.checks.database).toBe('ok');
    expect(body.checks.blobStore).toMatch(/^unreachable: .*ENOENT/);
  });

  it('answers /readyz 503 naming the blob store when its S3 endpoint refuses connections', async () => {
    const blobs = createS3BlobStore({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      region: 'us-east-1',
      bucket: 'coffer',
      accessKeyId: 'key',
      secretAccessKey: 'secret-that-must-not-show',
      forcePathStyle: true,
    });
    try {
      const response = await appWith({ blobs }).request('/readyz');
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({
        checks: { database: 'ok', blobStore: expect.stringMatching(/^unreachable/) },
      });
      expect(text).not.toContain('secret-that-must-not-show');
    } finally {
      await blobs.close();
    }
  });

  it('serves /metrics in the Prometheus text format, counting the requests just made by route and status', async () => {
    const user = await h.makeUser();
    const root = await createRoot(user);
    await uploadFile(user, await encryptFile(new Uint8Array(5000)), root);
    await user.request(`/api/nodes/${root}/children`);
    await user.request(`/api/nodes/${crypto.randomUUID()}`);
    const response = await h.app.request('/metrics', asMetricsScraper);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const families = new Map(parsePrometheusTextFormat(await response.text()).map((family) => [family.name, family]));
    const count = (route: string, status: string, method = 'GET') =>
      Number(
        families
          .get('coffer_http_requests_total')
          ?.metrics.find(
            (sample) =>
              sample.labels?.route === route && sample.labels.status === status && sample.labels.method === method,
          )?.value ?? 0,
      );
    expect(count('/api/nodes/:nodeId/children', '200')).toBe(1);
    expect(count('/api/nodes/:nodeId', '404')).toBe(1);
    expect(count('/api/uploads/:uploadId/chunks/:index', '204', 'PUT')).toBeGreaterThan(0);
    expect(families.get('coffer_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(Number(families.get('coffer_http_received_bytes_total')?.metrics[0]?.value)).toBeGreaterThan(5000);
    expect(families.get('coffer_upload_requests_in_flight')?.metrics[0]?.value).toBe('0');
    expect(families.get('coffer_http_errors_total')?.type).toBe('COUNTER');
    // No series per id: labels hold route patterns, never the ids of a path.
    expect(JSON.stringify([...families.values()])).not.toContain(root);
  });

  it('refuses /metrics without the token, with a wrong one, and to a signed-in user', async () => {
    const user = await h.makeUser();
    for (const response of [
      await h.app.request('/metrics'),
      await h.app.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } }),
      await h.app.request('/metrics', { headers: { authorization: `Basic ${METRICS_TOKEN}` } }),
      await user.request('/metrics'),
    ]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain('coffer_http_requests_total');
    }
  });

  it('keeps /metrics off without a token', async () => {
    const response = await appWith({}).request('/metrics', asMetricsScraper);
    expect(response.status).toBe(404);
  });
});
