import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64url, generateKey, wrapKey } from '../../shared/crypto/index.ts';
import type { AuditExportResponse, SecurityEventsResponse } from '../../shared/api/responses.ts';
import { collectExpiredAuditEvents } from '../../server/uploads/collect-stale.ts';
import { SESSION_COOKIE } from '../../server/http/auth.ts';
import { TestBrowser } from './browser.ts';
import { createRoot, encryptFile, fails, json, ok, uploadFile } from './client.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';
import { days, later, random, signIn, signUp } from './passkey-accounts.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { DATABASE_KINDS, queryRows } from '../../tools/harness/test-databases.ts';

const ADDRESS = '203.0.113.9';

/** A browser behind a trusted proxy that names its address. */
class BrowserAt extends TestBrowser {
  override request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = { ...(init.headers as Record<string, string>), 'x-forwarded-for': ADDRESS };
    return super.request(path, { ...init, headers });
  }
}

const phished = (browser: TestBrowser) => signIn(browser, { origin: 'https://coffer.example.evil' });
const events = (browser: TestBrowser, query = '') =>
  ok<SecurityEventsResponse>(browser.request(`/api/account/security-events${query}`)).then((body) => body.events);

describe.each(DATABASE_KINDS)('audit log on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { trustedProxies: 1 });
  });
  afterAll(() => h.close());

  it('records each event with its client address and request id', async () => {
    const browser = new BrowserAt(h);
    const { bundle } = await signUp(browser);
    await ok(browser.post('/api/account/sign-out'), 204);
    await fails(phished(browser), 401, 'WEBAUTHN_REFUSED');
    const signedIn = await signIn(browser);
    await ok(signedIn);
    const rows = await queryRows<{ type: string; client_address: string; request_id: string }>(
      h.db,
      sql`select type, client_address, request_id from audit_events where user_id = ${bundle.userId} order by id`,
    );
    expect(rows.map((row) => row.type)).toEqual(['sign-up', 'passkey-added', 'sign-out', 'sign-in-failed', 'sign-in']);
    expect(new Set(rows.map((row) => row.client_address))).toEqual(new Set([ADDRESS]));
    expect(rows.at(-1)!.request_id).toBe(signedIn.headers.get('x-request-id'));
    const [latest] = await events(browser, '?limit=1');
    expect(latest).toMatchObject({ type: 'sign-in', clientAddress: ADDRESS, userId: bundle.userId });
  });

  it('filters the own log by type and time, pages it, and exports it as JSON', async () => {
    const browser = new BrowserAt(h);
    const start = h.clock.now;
    await signUp(browser);
    later(h, days(2));
    const middle = h.clock.now;
    await ok(browser.post('/api/account/sign-out'), 204);
    await ok(signIn(browser));
    later(h, days(2));
    const end = h.clock.now;
    await ok(browser.post('/api/account/sign-out'), 204);
    await fails(phished(browser), 401, 'WEBAUTHN_REFUSED');
    await ok(signIn(browser));

    const types = async (query: string) => (await events(browser, query)).map((event) => event.type);
    expect(await types('?type=sign-in,sign-out')).toEqual(['sign-in', 'sign-out', 'sign-in', 'sign-out']);
    const range = `from=${middle.toISOString()}&to=${end.toISOString()}`;
    expect(await types(`?${range}`)).toEqual(['sign-in', 'sign-out']);
    expect(await types(`?to=${middle.toISOString()}`)).toEqual(['passkey-added', 'sign-up']);
    expect(await types(`?from=${start.toISOString()}&type=sign-in-failed`)).toEqual(['sign-in-failed']);
    const [newest] = await events(browser, '?limit=1');
    expect(await types(`?limit=2&before=${newest!.id}`)).toEqual(['sign-in-failed', 'sign-out']);

    const message = await fails(
      browser.request('/api/account/security-events?type=sign-in,secrets'),
      400,
      'VALIDATION',
    );
    expect(message).toContain('lockout');
    await fails(browser.request('/api/account/security-events?from=yesterday'), 400, 'VALIDATION');

    const stranger = new BrowserAt(h);
    await signUp(stranger);
    const response = await browser.request(`/api/account/security-events/export?${range}`);
    expect(response.headers.get('content-disposition')).toContain('attachment');
    const exported = await ok<AuditExportResponse>(response);
    expect(exported).toMatchObject({
      exportedAt: h.clock.now.toISOString(),
      filter: { from: middle.toISOString(), to: end.toISOString(), types: null },
      complete: true,
    });
    expect(exported.events.map((event) => event.type)).toEqual(['sign-in', 'sign-out']);
    const all = await ok<AuditExportResponse>(browser.request('/api/account/security-events/export'));
    expect(all.events).toHaveLength(7);
    expect(new Set(all.events.map((event) => event.userId)).size).toBe(1);
  });

  it('prunes events older than the retention period, client addresses with them', async () => {
    const browser = new BrowserAt(h);
    const { bundle } = await signUp(browser);
    later(h, days(100));
    await ok(signIn(browser));
    later(h, days(81));
    const collect = () => collectExpiredAuditEvents({ db: h.db, now: () => h.clock.now }, 180);
    expect(await collect()).toBeGreaterThanOrEqual(2);
    const rows = await queryRows<{ type: string }>(
      h.db,
      sql`select type from audit_events where user_id = ${bundle.userId}`,
    );
    expect(rows.map((row) => row.type)).toEqual(['sign-in']);
    const stale = await queryRows<{ n: number }>(
      h.db,
      sql`select count(*)::int as n from audit_events where created_at < ${new Date(h.clock.now.getTime() - days(180)).toISOString()}::timestamptz`,
    );
    expect(stale[0]!.n).toBe(0);
  });

  it('holds no file name, key material or session token, after sign-up, sign-in, failures, recovery and uploads', async () => {
    const browser = new BrowserAt(h);
    const { bundle, request, recoveryVerifier } = await signUp(browser);
    const sessionToken = browser.cookies.get(SESSION_COOKIE)!;
    await ok(browser.post('/api/account/sign-out'), 204);
    await fails(phished(browser), 401, 'WEBAUTHN_REFUSED');
    await fails(browser.post('/api/auth/recover', { recoveryVerifier: random(32) }), 401, 'RECOVERY_REFUSED');
    const lost = new BrowserAt(h, new SoftAuthenticator(browser.authenticator.origin));
    await ok(lost.post('/api/auth/recover', { recoveryVerifier }));
    const recoveredToken = lost.cookies.get(SESSION_COOKIE)!;
    const signedIn = await signIn(browser);
    await ok(signedIn);

    const user: TestUser = { id: bundle.userId, cookie: '', request: (path, init) => browser.request(path, init) };
    const fileName = 'divorce-papers-final.pdf';
    const folderName = 'medical-records';
    const rootId = await createRoot(user);
    const folderId = crypto.randomUUID();
    const folderKey = await wrapKey(generateKey(), generateKey(), {
      purpose: 'folder-key',
      owner: user.id,
      object: folderId,
    });
    const folderMetadata = encodeBase64url(new TextEncoder().encode(JSON.stringify({ name: folderName })));
    await ok(
      user.request(
        '/api/nodes/folders',
        json({ id: folderId, parentId: rootId, wrappedKey: folderKey, encryptedMetadata: folderMetadata }),
      ),
      201,
    );
    const file = await encryptFile(new TextEncoder().encode(`contents of ${fileName}`));
    await uploadFile(user, file, folderId);
    await ok(user.request(`/api/nodes/${folderId}/trash`, { method: 'POST' }));
    await ok(user.request('/api/trash', { method: 'DELETE' }));

    const dump = (await queryRows<{ row: string }>(h.db, sql`select row_to_json(a)::text as row from audit_events a`))
      .map((row) => row.row)
      .join('\n');
    expect(dump).toContain(bundle.userId);
    const secrets = {
      fileName,
      folderName,
      folderMetadata,
      folderKey,
      recoveryVerifier,
      sessionToken,
      recoveredToken,
      prfWrap: request.prfWrap.wrapped,
      prfSalt: request.prfWrap.salt,
      recoveryWrap: request.recoveryWrap.wrapped,
      sharingKey: request.privateKeys.sharing,
      signingKey: request.privateKeys.signing,
      fileKey: encodeBase64url(file.fileKey),
    };
    for (const [what, secret] of Object.entries(secrets)) {
      expect(dump.includes(secret), `${what} in the audit log`).toBe(false);
    }
  });
});
