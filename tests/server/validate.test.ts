/**
 * The validation middleware (server/http/validate.ts) keeps the API's 400 answers: BAD_JSON for a body that is not
 * JSON whatever its content type, VALIDATION naming the field, BAD_ID naming the parameter, and an empty body standing
 * for a route's default.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handleError } from '../../server/http/errors.ts';
import { idParams, jsonBody } from '../../server/http/validate.ts';

const schema = z.strictObject({ name: z.string().min(1) });
const app = new Hono()
  .post('/strict', jsonBody(schema), (c) => c.json(c.req.valid('json')))
  .post('/optional', jsonBody(z.strictObject({ name: z.string().optional() }), { emptyAs: {} }), (c) =>
    c.json(c.req.valid('json')),
  )
  .get('/nodes/:nodeId', idParams('nodeId'), (c) => c.json(c.req.valid('param')));
app.onError(handleError);

const post = (path: string, body: string, contentType?: string) =>
  app.request(path, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });

async function answer(response: Response | Promise<Response>) {
  const res = await response;
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('validation middleware', () => {
  it('answers a body that is not JSON with BAD_JSON, whatever its content type', async () => {
    const bad = { status: 400, body: { error: { code: 'BAD_JSON', message: 'request body is not valid JSON' } } };
    expect(await answer(post('/strict', '{"name":', 'application/json'))).toEqual(bad);
    expect(await answer(post('/strict', '{"name":', 'text/plain'))).toEqual(bad);
    expect(await answer(post('/strict', '', 'application/json'))).toEqual(bad);
  });

  it('reads a JSON body sent without a JSON content type', async () => {
    expect(await answer(post('/strict', '{"name":"a"}'))).toEqual({ status: 200, body: { name: 'a' } });
    expect(await answer(post('/strict', '{"name":"a"}', 'text/plain'))).toEqual({ status: 200, body: { name: 'a' } });
  });

  it('names the field that failed, or the body', async () => {
    const field = await answer(post('/strict', '{"name":""}', 'application/json'));
    expect(field.status).toBe(400);
    expect(field.body).toMatchObject({ error: { code: 'VALIDATION', message: expect.stringMatching(/^name: /) } });
    const body = await answer(post('/strict', '[]', 'application/json'));
    expect(body.body).toMatchObject({ error: { code: 'VALIDATION', message: expect.stringMatching(/^body: /) } });
  });

  it('takes an empty body for the default where a route has one, with or without a JSON content type', async () => {
    expect(await answer(post('/optional', '', 'application/json'))).toEqual({ status: 200, body: {} });
    expect(await answer(post('/optional', ''))).toEqual({ status: 200, body: {} });
    expect(await answer(post('/optional', '{"name":"b"}', 'application/json'))).toEqual({
      status: 200,
      body: { name: 'b' },
    });
  });

  it('answers a parameter that is not a UUID with BAD_ID, and hands on ids in lower case', async () => {
    expect(await answer(app.request('/nodes/nope'))).toEqual({
      status: 400,
      body: { error: { code: 'BAD_ID', message: 'nodeId "nope" is not a UUID' } },
    });
    const id = crypto.randomUUID();
    expect(await answer(app.request(`/nodes/${id.toUpperCase()}`))).toEqual({ status: 200, body: { nodeId: id } });
  });
});
