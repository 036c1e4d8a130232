/** Which refusals sign the app out: only those saying the session is gone, never a wrong passkey at a step-up. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiRequestError, whenSessionEnds } from '../../web/src/lib/api.ts';

function answer(status: number, code: string): void {
  const body = JSON.stringify({ error: { code, message: `refused: ${code}` } });
  vi.stubGlobal('fetch', async () => new Response(body, { status, headers: { 'content-type': 'application/json' } }));
}

describe('the session-ended path', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('hears an expired session and a disabled account', async () => {
    const heard: string[] = [];
    whenSessionEnds((error) => heard.push(error.code));
    for (const code of ['UNAUTHENTICATED', 'ACCOUNT_DISABLED']) {
      answer(401, code);
      await expect(api('GET', '/api/nodes')).rejects.toBeInstanceOf(ApiRequestError);
    }
    expect(heard).toEqual(['UNAUTHENTICATED', 'ACCOUNT_DISABLED']);
  });

  it('leaves the session alone for a wrong or removed passkey, and for the auth routes', async () => {
    const heard: string[] = [];
    whenSessionEnds((error) => heard.push(error.code));
    for (const code of ['UNKNOWN_CREDENTIAL', 'NOT_THIS_ACCOUNT', 'WEBAUTHN_REFUSED']) {
      answer(401, code);
      await expect(api('POST', '/api/account/step-up', {})).rejects.toMatchObject({ code, status: 401 });
    }
    answer(401, 'UNAUTHENTICATED');
    await expect(api('POST', '/api/auth/signin/finish', {})).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(heard).toEqual([]);
  });
});
