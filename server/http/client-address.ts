/**
 * The address a request came from, for rate limits. Behind reverse proxies the socket's peer is the nearest proxy;
 * with TRUST_PROXY=N, the N nearest hops are trusted to have appended the address they saw to X-Forwarded-For, so
 * the client is the address N hops out. Anything further left in the header was written by the client and is ignored.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';

export function clientAddressOf(c: Context, trustedProxies: number): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  const peer = incoming?.socket?.remoteAddress ?? 'unknown';
  if (trustedProxies === 0) return peer;
  const forwarded = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '');
  // Nearest first: the peer, then what each trusted proxy saw.
  const hops = [peer, ...forwarded.reverse()];
  return hops[Math.min(trustedProxies, hops.length - 1)]!;
}

/** Works the address out once per request, for every limiter after it. */
export function resolveClientAddress(trustedProxies: number) {
  return createMiddleware<{ Variables: { clientAddress: string } }>(async (c, next) => {
    c.set('clientAddress', clientAddressOf(c, trustedProxies));
    await next();
  });
}
