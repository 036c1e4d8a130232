/**
 * Random and malformed requests, as fast-check draws them. A drawn request is symbolic (which route, whether a path
 * parameter is a real id or junk, how to spoil a valid body), so that one seeded sequence of draws can be played
 * against rows that are made afresh for each round (tests/fuzz/request-player.ts).
 */
import fc from 'fast-check';

export type Caller = 'anonymous' | 'owner' | 'stranger' | 'admin';

/** A path parameter: the real id the route names (one of several when it may name several), or junk. */
export type Param = { real: number } | { junk: string };

/** A JSON value, or a number token that JSON.stringify cannot write (1e999, -0, 20 digits). */
export type Junk = unknown;

export type Body =
  | { kind: 'none' }
  /** The route's own valid body, or another route's, with one value somewhere in it replaced or removed. */
  | { kind: 'spoiled'; base: number; path: number[]; change: { replace: Junk } | 'remove' | 'keep'; inArray: boolean }
  | { kind: 'json'; value: Junk }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'nested'; depth: number; opener: '[' | '{"a":' }
  /** Just past the size limit the route names. */
  | { kind: 'oversize' };

export interface FuzzedRequest {
  route: number;
  /** Another method than the route's, or none to use the route's. */
  method: string | null;
  params: Param[];
  /** Whether each parameter is put in the path as a client would (percent-encoded) or raw. */
  encode: boolean;
  query: string;
  caller: Caller;
  body: Body;
  /** The content type; undefined for what the body's kind implies, null for none at all. */
  contentType: string | null | undefined;
  origin: 'right' | 'none' | 'wrong' | 'null';
  /** The caller's session cookie, a second one after it, or a garbage Cookie header instead. */
  cookie: 'caller' | 'doubled' | { garbage: string };
  range: string | null;
  /** A share link's token (Authorization: Link), a junk Authorization header, or none. */
  authorization: 'link' | string | null;
}

/** A number token written into JSON text (by writeJson) in place of the string that names it. */
const RAW_NUMBER = (token: string) => `\u0000raw:${token}\u0000`;

/** JSON text with the number tokens JSON.stringify cannot write put in place of the strings naming them. */
export function writeJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000raw:([^"\\]*)\\u0000"/g, (_, token: string) => token);
}

/** True once in `n` draws. */
const oneIn = (n: number) => fc.nat({ max: n - 1 }).map((drawn) => drawn === 0);

const hugeString = fc.integer({ min: 1000, max: 20_000 }).map((n) => 'ä'.repeat(n));
const weirdString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', '..', '.', '%', '%00', '%2e%2e', '\u0000', '../../etc/passwd', 'null', 'undefined', ' '),
  fc.constantFrom('-1', '0', '1e3', '1.5', 'NaN', 'Infinity', '99999999999', '00000000-0000-0000-0000-000000000000'),
  fc.uuid().map((id) => id.toUpperCase()),
  fc.uuid(),
  hugeString,
);

const rawNumber = fc
  .constantFrom('1e999', '-1e999', '-0', '123456789012345678901234567890', '-9007199254740993', '1e-400', '0.0')
  .map(RAW_NUMBER);

const junk: fc.Arbitrary<Junk> = fc.oneof(
  { arbitrary: fc.constantFrom(null, true, false, 0, -1, -(2 ** 53), 2 ** 53, 2 ** 64, 1.5, '', {}, []), weight: 4 },
  { arbitrary: rawNumber, weight: 2 },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
  { arbitrary: weirdString, weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 3 },
  { arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }), weight: 1 },
);

const malformedJson = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', '{"a":1,}', "{'a':1}", 'nul', 'NaN', '{"a":1}{"b":2}', '\uFEFF{}', '"\\ud800"'),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json().map((text) => text.slice(0, Math.max(0, text.length - 1))),
);

const body: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('spoiled' as const),
      base: fc.nat(),
      path: fc.array(fc.nat(), { maxLength: 4 }),
      change: fc.oneof(
        { arbitrary: fc.record({ replace: junk }), weight: 6 },
        { arbitrary: fc.constant('remove' as const), weight: 2 },
        { arbitrary: fc.constant('keep' as const), weight: 2 },
      ),
      inArray: oneIn(20),
    }),
    weight: 8,
  },
  { arbitrary: fc.record({ kind: fc.constant('json' as const), value: junk }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('text' as const), text: malformedJson }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 3000 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('nested' as const),
      depth: fc.integer({ min: 100, max: 60_000 }),
      opener: fc.constantFrom('[' as const, '{"a":' as const),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'oversize' as const }), weight: 1 },
);

const param: fc.Arbitrary<Param> = fc.oneof(
  { arbitrary: fc.record({ real: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ junk: weirdString }), weight: 2 },
);

const query = fc.oneof(
  { arbitrary: fc.constant(''), weight: 6 },
  {
    arbitrary: fc
      .array(
        fc.tuple(
          fc.constantFrom('limit', 'count', 'userId', 'before', 'after', 'from', 'to', 'kind', 'cursor', 'x'),
          weirdString,
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((pairs) => `?${pairs.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')}`),
    weight: 3,
  },
  { arbitrary: fc.constantFrom('?', '?&&', '?limit', '?limit=1&limit=2', '?%zz=%zz', '?limit=%00'), weight: 1 },
);

export const fuzzedRequest: fc.Arbitrary<FuzzedRequest> = fc.record({
  route: fc.nat(),
  method: fc.oneof(
    { arbitrary: fc.constant(null), weight: 9 },
    { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND'), weight: 1 },
  ),
  params: fc.array(param, { minLength: 3, maxLength: 3 }),
  encode: oneIn(10).map((raw) => !raw),
  query,
  caller: fc.constantFrom<Caller>('anonymous', 'owner', 'owner', 'owner', 'stranger', 'admin'),
  body,
  contentType: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 8 },
    {
      arbitrary: fc.constantFrom(
        null,
        'application/json',
        'text/plain',
        'application/octet-stream',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'multipart/form-data',
        'application/json; charset=utf-16',
        '*/*',
        ';;;',
      ),
      weight: 2,
    },
  ),
  origin: fc.constantFrom('right', 'right', 'right', 'right', 'none', 'wrong', 'null'),
  cookie: fc.oneof(
    { arbitrary: fc.constant('caller' as const), weight: 12 },
    { arbitrary: fc.constant('doubled' as const), weight: 1 },
    {
      arbitrary: fc.record({
        garbage: fc.constantFrom(
          'coffer_session=',
          'coffer_session=%',
          'coffer_session=%E0%A4%A',
          `coffer_session=${'A'.repeat(10_000)}`,
          '=;=;;',
          'coffer_session="unterminated',
          'coffer_session=\u00ff\u00fe',
        ),
      }),
      weight: 1,
    },
  ),
  range: fc.oneof(
    { arbitrary: fc.constant(null), weight: 4 },
    {
      arbitrary: fc.constantFrom(
        'bytes=0-',
        'bytes=0-0',
        'bytes=-1',
        'bytes=-0',
        'bytes=9-3',
        'bytes=x',
        'bytes=0-1,5-9',
        'bytes=999999999999-',
        'bytes=-99999999999999999999',
        'items=0-1',
        'bytes=1e3-',
      ),
      weight: 1,
    },
  ),
  authorization: fc.oneof(
    { arbitrary: fc.constant(null), weight: 6 },
    { arbitrary: fc.constant('link'), weight: 3 },
    { arbitrary: fc.constantFrom('Link ', 'Link AAAA', 'Bearer x', 'Link ' + 'A'.repeat(5000), 'Link ä'), weight: 1 },
  ),
});
