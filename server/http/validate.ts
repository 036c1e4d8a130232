/**
 * Turns request input into typed values, or a 400 that says what was wrong. `jsonBody` and `idParams` are middleware:
 * handlers read what they checked with `c.req.valid('json')` and `c.req.valid('param')`.
 */
import type { Context, Env, MiddlewareHandler } from 'hono';
import { validator } from 'hono/validator';
import type { z } from 'zod';
import { idSchema } from '../../shared/api/schemas.ts';
import { ApiError } from './errors.ts';

/**
 * Validates the JSON body against `schema`; with `emptyAs`, an empty body stands for that value. The body is read
 * whatever its content type, and malformed JSON is a `BAD_JSON`, which Hono's own JSON validator does not do (it skips
 * bodies without a JSON content type and answers malformed ones with an error of its own), so this one feeds
 * `c.req.valid('json')` itself.
 */
export function jsonBody<S extends z.ZodType>(
  schema: S,
  options: { emptyAs?: z.input<S> } = {},
): MiddlewareHandler<Env, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    c.req.addValidatedData('json', parseJson(await c.req.text(), schema, options.emptyAs) as object);
    await next();
  };
}

function parseJson<S extends z.ZodType>(text: string, schema: S, emptyAs: unknown): z.output<S> {
  let body: unknown = emptyAs;
  if (text !== '' || emptyAs === undefined) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'BAD_JSON', 'request body is not valid JSON');
    }
  }
  return checked(schema, body, 'body');
}

function checked<S extends z.ZodType>(schema: S, input: unknown, whole: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : whole;
    throw new ApiError(400, 'VALIDATION', `${where}: ${issue.message}`);
  }
  return result.data;
}

/** Validates the query string against `schema` (each parameter once, as text); read with `c.req.valid('query')`. */
export function queryParams<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<Env, string, { in: { query: z.input<S> }; out: { query: z.output<S> } }> {
  return async (c, next) => {
    c.req.addValidatedData('query', checked(schema, c.req.query(), 'query') as object);
    await next();
  };
}

/** Checks that each named path parameter is a UUID, and hands it on in lower case. */
export function idParams<const Name extends string>(...names: Name[]) {
  return validator('param', (params: Record<string, string>) => {
    const ids = {} as Record<Name, string>;
    for (const name of names) ids[name] = parseId(name, params[name] ?? '');
    return ids;
  });
}

function parseId(name: string, value: string): string {
  if (!idSchema.safeParse(value).success) {
    throw new ApiError(400, 'BAD_ID', `${name} ${JSON.stringify(value.slice(0, 64))} is not a UUID`);
  }
  return value.toLowerCase();
}

export function integerParam(c: Context, name: string, max: number): number {
  const text = c.req.param(name) ?? '';
  const value = Number(text);
  if (!/^\d{1,10}$/.test(text) || value > max) {
    throw new ApiError(
      400,
      'BAD_INDEX',
      `${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(text.slice(0, 32))}`,
    );
  }
  return value;
}

/** The optional `limit` query parameter of a listing: from 1 to `max`, `fallback` when absent. */
export function limitQuery(c: Context, { max, fallback }: { max: number; fallback: number }): number {
  const text = c.req.query('limit');
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d{1,10}$/.test(text) || value < 1 || value > max) {
    throw new ApiError(
      400,
      'BAD_LIMIT',
      `limit must be a whole number from 1 to ${max}, got ${JSON.stringify(text.slice(0, 16))}`,
    );
  }
  return value;
}

/** The optional `count` query parameter of a chunk upload: from 1 to `max`, 1 when absent. */
export function countQuery(c: Context, max: number): number {
  const text = c.req.query('count');
  if (text === undefined) return 1;
  const value = Number(text);
  if (!/^\d{1,3}$/.test(text) || value < 1 || value > max) {
    throw new ApiError(
      400,
      'BAD_COUNT',
      `count must be a whole number from 1 to ${max} here, got ${JSON.stringify(text.slice(0, 16))}`,
    );
  }
  return value;
}
