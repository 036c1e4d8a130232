/**
 * What someone holding a share link reaches, with no account (docs/FORMAT.md section 4.4): whether the link asks for
 * a password, then, for the access token in `Authorization: Link <token>` (never in the URL, which logs and Referers
 * carry), the link's wrap and node, a folder's listing inside it and a file's bytes. Each request is counted against
 * the link's and the client address's rate limits before anything is looked up; the access policy decides the rest
 * (authorizeLink and the link's subtree).
 */
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { idSchema } from '../../shared/api/schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { authorizeLink, authorizeLinkRevision, type LinkActor } from '../access/policy.ts';
import type { RequestOrigin } from '../auth/audit.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { parseRange } from '../http/ranges.ts';
import { rateLimit, type RateLimit, type TakeToken } from '../http/rate-limit.ts';
import { idParams } from '../http/validate.ts';
import { linkAccess, linkChildren, linkRevisionBytes, openLink } from '../links/link-visits.ts';

export interface LinkLimits {
  take: TakeToken;
  /** Requests per link, whoever makes them: what bounds online guesses at a link's password. */
  perLink: RateLimit;
  /** Requests to any link from one client address. */
  perAddress: RateLimit;
}

/** No account, no session: only what the app's middleware put on every request, and the link's id. */
export type LinkEnv = { Variables: { requestId: string; clientAddress: string; linkId: string } };

const TOKEN_HEADER = /^Link ([A-Za-z0-9_-]{43}=?)$/;

export function linkVisitRoutes(deps: ServerDeps, limits: LinkLimits) {
  const actorOf = async (c: Context<LinkEnv>): Promise<LinkActor> =>
    authorizeLink(deps.db, c.get('linkId'), await tokenHash(c.req.header('authorization')), deps.now());
  return new Hono<LinkEnv>()
    .use('/:linkId/*', linkIdParam())
    .use('/:linkId', linkIdParam())
    .use(rateLimit(limits.take, limits.perAddress, deps.now, 'this address to links', addressKey))
    .use(rateLimit(limits.take, limits.perLink, deps.now, 'anyone to this link', (c) => `link:${c.get('linkId')}`))
    .get('/:linkId/access', async (c) => c.json(await linkAccess(deps.db, c.get('linkId'))))
    .get('/:linkId', async (c) => c.json(await openLink(deps, await actorOf(c), originOf(c))))
    .get('/:linkId/nodes/:nodeId/children', idParams('nodeId'), async (c) =>
      c.json(await linkChildren(deps.db, await actorOf(c), c.req.valid('param').nodeId)),
    )
    .get('/:linkId/revisions/:revisionId/content', idParams('revisionId'), async (c) => {
      const actor = await actorOf(c);
      const revision = await authorizeLinkRevision(deps.db, actor, c.req.valid('param').revisionId);
      const range = parseRange(c.req.header('range'), revision.size);
      const { start, end } = range ?? { start: 0, end: revision.size };
      const body = await linkRevisionBytes(deps, actor, revision, start, end);
      c.header('content-length', String(end - start));
      if (!range) return c.body(body, 200);
      c.header('content-range', `bytes ${start}-${end - 1}/${revision.size}`);
      return c.body(body, 206);
    });
}

/** The link id in the path, or 400 LINK_MALFORMED: a link's address was cut short or altered. */
export function linkIdParam() {
  return createMiddleware<LinkEnv>(async (c, next) => {
    const linkId = c.req.param('linkId') ?? '';
    if (!idSchema.safeParse(linkId).success) {
      throw new ApiError(
        400,
        'LINK_MALFORMED',
        `a link id is a UUID, got ${JSON.stringify(linkId.slice(0, 64))}: the link was cut short or altered`,
      );
    }
    c.set('linkId', linkId.toLowerCase());
    await next();
  });
}

function originOf(c: Context<LinkEnv>): RequestOrigin {
  return { requestId: c.get('requestId'), clientAddress: c.get('clientAddress') };
}

function addressKey(c: Context<LinkEnv>): string {
  return `link-address:${c.get('clientAddress')}`;
}

/**
 * SHA-256 of the token the header carries; undefined without the header. A header that is no token of the right form
 * hashes to nothing, which matches no link: it is refused as a wrong token.
 */
async function tokenHash(header: string | undefined): Promise<Uint8Array | undefined> {
  if (header === undefined) return undefined;
  const token = TOKEN_HEADER.exec(header)?.[1];
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    if (token === undefined) return new Uint8Array(0);
    bytes = decodeBase64url(token);
  } catch {
    return new Uint8Array(0);
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}
