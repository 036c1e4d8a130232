/**
 * A hostile server for the e2e tests: a tamper layer between a browser and the real server that rewrites chosen JSON
 * responses (a person's published keys, the list of shares made to an account and their answers) before the app sees them, as a server
 * under an attacker's control, or a proxy in front of it, would. It lives among the tests only, so no build of the app
 * or the server holds it; hostile-sharing.test.ts checks that neither carries TAMPER_HEADER.
 */
import type { BrowserContext, Route } from 'playwright';
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

/** Rewrites the successful JSON responses to requests matching `url`, until restored. */
export async function tamperJson<T>(
  context: BrowserContext,
  url: string,
  what: string,
  rewrite: (body: T) => T | Promise<T>,
): Promise<Tampering> {
  let rewritten = 0;
  const handler = async (route: Route) => {
    const response = await route.fetch();
    if (!response.ok()) return route.fulfill({ response });
    const json = await rewrite((await response.json()) as T);
    const headers = Object.fromEntries(
      Object.entries(response.headers()).filter(([name]) => !BODY_HEADERS.has(name.toLowerCase())),
    );
    rewritten++;
    await route.fulfill({ response, json, headers: { ...headers, [TAMPER_HEADER]: what } });
  };
  await context.route(url, handler);
  return {
    get rewritten() {
      return rewritten;
    },
    restore: () => context.unroute(url, handler),
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
