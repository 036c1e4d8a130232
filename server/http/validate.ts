/** Turns request input into typed values, or a 400 that says what was wrong. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { idSchema } from '../../shared/api/schemas.ts';
import { ApiError } from './errors.ts';

/** Parses and validates a JSON body; with `emptyAs`, an empty body stands for that value. */
export async function readJson<T>(c: Context, schema: z.ZodType<T>, options: { emptyAs?: unknown } = {}): Promise<T> {
  const text = await c.req.text();
  let body: unknown = options.emptyAs;
  if (text !== '' || options.emptyAs === undefined) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'BAD_JSON', 'request body is not valid JSON');
    }
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new ApiError(400, 'VALIDATION', `${where}: ${issue.message}`);
  }
  return result.data;
}

export function idParam(c: Context, name: string): string {
  const value = c.req.param(name) ?? '';
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
