/**
 * A request's body as a stream, for the routes that store large bodies (upload chunks).
 *
 * Served by Node, the body is read straight from Node's request, one chunk per pull. The body of the web Request that
 * @hono/node-server builds is `Readable.toWeb(incoming)`, which in Node 20 reads ahead without limit and copies every
 * 64 KiB piece into a new array on the way. Through Chromium, that garbage kept the server's V8 running full
 * collections throughout an upload (docs/BENCHMARKS.md, "The server"). Anywhere else (app.request() in tests, another runtime)
 * the web Request's own body is used.
 */
import { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { webStreamFromNode } from '../blobs/web-stream-from-node.ts';

export function requestBody(c: Context): ReadableStream<Uint8Array> | null {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  // Once the web body has been touched, Node's stream may be partly read: only the web body is whole then.
  if (incoming instanceof IncomingMessage && !c.req.raw.bodyUsed) return webStreamFromNode(incoming);
  return c.req.raw.body;
}
