/** A browser as the auth routes see it: its own cookie jar, the app's origin on every request, a passkey authenticator. */
import { ORIGIN } from './harness.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';

/** Where a browser's requests go: an app in this process (a harness's), or a server process. */
export interface Served {
  app: { request(path: string, init: RequestInit): Response | Promise<Response> };
}

export class TestBrowser {
  readonly cookies = new Map<string, string>();
  readonly authenticator: SoftAuthenticator;

  constructor(
    /** Which server it talks to; a test may point it at another, and the cookies go along. */
    public h: Served,
    authenticator?: SoftAuthenticator,
  ) {
    this.authenticator = authenticator ?? new SoftAuthenticator(ORIGIN);
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.h.app.request(path, {
      ...init,
      headers: { origin: ORIGIN, ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      const expired = attributes.some((attribute) => /^\s*max-age=0$/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  post(path: string, body: unknown = {}): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
}
