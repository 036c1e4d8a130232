/**
 * A hostile server for the e2e tests: a tamper layer between a browser and the real server that rewrites chosen
 * responses (JSON records, stored ciphertext, the served page) before the app sees them, as a server under an
 * attacker's control, or a proxy in front of it, would. It lives among the tests only, so no build of the app or the
 * server holds it; hostile-server.test.ts checks that neither carries its markers.
 */
import type { APIResponse, BrowserContext, Route } from 'playwright';
import type { HandleLookupResponse, IncomingShare, IncomingSharesResponse } from '../../shared/api/responses.ts';
import { encodeBase64url, exportPublicKey, type AccountKeyPairs } from '../../shared/crypto/index.ts';

/** Every response the layer rewrote carries this header, naming what was done to it. */
export const TAMPER_HEADER = 'x-coffer-e2e-tampered';

export interface Tampering {
  /** How many responses were rewritten so far: a test checks there were some, so that what it sees is their effect. */
  readonly rewritten: number;
  restore(): Promise<void>;
}

/** Headers of the real response that would no longer describe the rewritten body. */
const BODY_HEADERS = new Set(['content-length', 'content-encoding', 'etag']);

/** Requests to rewrite the answers of: a glob of their URL, or a test of it. */
export type Matched = string | ((url: URL) => boolean);

/** Rewrites the successful JSON responses to requests matching `url`, until restored. */
export function tamperJson<T>(
  context: BrowserContext,
  url: Matched,
  what: string,
  rewrite: (body: T) => T | Promise<T>,
): Promise<Tampering> {
  return tamperResponses(context, url, what, async (response) => ({
    json: await rewrite((await response.json()) as T),
  }));
}

/** Rewrites the bytes of the successful responses to requests matching `url` (stored ciphertext), until restored. */
export function tamperBytes(
  context: BrowserContext,
  url: Matched,
  what: string,
  rewrite: (body: Buffer) => Buffer,
): Promise<Tampering> {
  return tamperResponses(context, url, what, async (response) => ({ body: rewrite(await response.body()) }));
}

/** Serves every page the browser loads (the app's HTML) as `rewrite` makes it, until restored. */
export function tamperPages(
  context: BrowserContext,
  what: string,
  rewrite: (html: string) => string,
): Promise<Tampering> {
  return tamperResponses(
    context,
    (url) => !url.pathname.startsWith('/api/'),
    what,
    async (response) => ({ body: rewrite(await response.text()) }),
    (route) => route.request().resourceType() === 'document',
  );
}

async function tamperResponses(
  context: BrowserContext,
  url: Matched,
  what: string,
  rewrite: (response: APIResponse) => Promise<{ json?: unknown; body?: string | Buffer }>,
  applies: (route: Route) => boolean = () => true,
): Promise<Tampering> {
  let rewritten = 0;
  const handler = async (route: Route) => {
    if (!applies(route)) return route.fallback();
    const response = await route.fetch();
    if (!response.ok()) return route.fulfill({ response });
    const replaced = await rewrite(response);
    const headers = Object.fromEntries(
      Object.entries(response.headers()).filter(([name]) => !BODY_HEADERS.has(name.toLowerCase())),
    );
    rewritten++;
    await route.fulfill({ response, ...replaced, headers: { ...headers, [TAMPER_HEADER]: what } });
  };
  const matcher = typeof url === 'string' ? url : (address: URL) => url(address);
  await context.route(matcher, handler);
  return {
    get rewritten() {
      return rewritten;
    },
    restore: () => context.unroute(matcher, handler),
  };
}

/** The lookup of `handle` answered with the public halves of `keys`, key pairs the server holds, as that person's. */
export async function substitutePublishedKeys(
  context: BrowserContext,
  handle: string,
  keys: AccountKeyPairs,
): Promise<Tampering> {
  const publicKeys = {
    sharing: encodeBase64url(await exportPublicKey(keys.sharing.publicKey)),
    signing: encodeBase64url(await exportPublicKey(keys.signing.publicKey)),
  };
  return tamperJson<HandleLookupResponse>(
    context,
    `**/api/handles/${handle}`,
    `published keys of @${handle} substituted`,
    (found) => ({ ...found, publicKeys }),
  );
}

/** The list of shares made to the account, with what `slipIn` makes of the real ones added after them. */
export function slipIntoIncomingShares(
  context: BrowserContext,
  what: string,
  slipIn: (shares: IncomingShare[]) => IncomingShare[] | Promise<IncomingShare[]>,
): Promise<Tampering> {
  return tamperJson<IncomingSharesResponse>(context, '**/api/shares/incoming', what, async (listed) => ({
    ...listed,
    shares: [...listed.shares, ...(await slipIn(listed.shares))],
  }));
}

/** The list of shares made to the account, with every share still waiting for an answer marked accepted. */
export function markIncomingSharesAccepted(context: BrowserContext): Promise<Tampering> {
  return tamperJson<IncomingSharesResponse>(
    context,
    '**/api/shares/incoming',
    'waiting shares marked accepted',
    (listed) => ({
      ...listed,
      shares: listed.shares.map((share) =>
        share.status === 'pending' ? { ...share, status: 'accepted', acceptedAt: new Date().toISOString() } : share,
      ),
    }),
  );
}
