/**
 * @module
 * Bad input as a client sends it over the gateway's real port (`bad-input.test.ts` covers the
 * in-process basics): an unknown tank on every forwarded route and an over-long id, the rest of
 * the create schema (missing, blank, out-of-range, null), empty and single-quoted JSON, another
 * media type (415), a chunked body over the limit (413 with no length to trust), and forwarded
 * routes' bad bodies: malformed JSON and schema breaks refused by the server as problem+json,
 * an oversize body refused by the gateway before anything is forwarded.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let tankId: string;
let auth: { authorization: string };

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 1, databaseUrl: db.url });
  const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name: 'Target' },
  });
  tankId = tank.tank_id;
  auth = { authorization: `Bearer ${await mintToken({ secret: SECRET, userId: 'alice' })}` };
}, 120_000);

/** One request over the gateway's real port. */
async function send(
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
): Promise<Response> {
  return fetch(`${stack.gateway.url}${path}`, {
    method,
    headers: body === undefined ? auth : { ...auth, 'content-type': contentType },
    body,
  });
}

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(text)).toMatchObject({ type: `/problems/${code}`, code, status });
}

describe('an unknown tank', () => {
  const UNKNOWN = '00000000-0000-4000-8000-000000000000';
  const ROUTES: Array<[string, string, unknown?]> = [
    ['GET', '/gateway/tanks/{id}'],
    ['GET', '/api/tanks/{id}'],
    ['DELETE', '/api/tanks/{id}'],
    ['GET', '/api/tanks/{id}/stats'],
    ['GET', '/api/tanks/{id}/entities'],
    ['GET', '/api/tanks/{id}/entities/1'],
    ['GET', '/api/tanks/{id}/snapshots'],
    ['POST', '/api/tanks/{id}/pause'],
    ['POST', '/api/tanks/{id}/resume'],
    ['POST', '/api/tanks/{id}/fish', {}],
    ['POST', '/api/tanks/{id}/food', { count: 1 }],
    ['POST', '/api/tanks/{id}/snapshots'],
    ['POST', '/api/tanks/{id}/snapshots/00000000-0000-4000-8000-000000000001/restore'],
    ['GET', '/api/tanks/{id}/permissions'],
  ];

  it.each(ROUTES)('should answer %s %s with 404 tank_not_found', async (method, template, body) => {
    for (const id of [UNKNOWN, 'no-such-tank', 'x'.repeat(100)]) {
      const path = template.replace('{id}', id);
      await expectProblem(
        await send(method, path, body === undefined ? undefined : JSON.stringify(body)),
        404,
        'tank_not_found',
      );
    }
  });

  it('should answer an id longer than any tank id with 400, not a lookup', async () => {
    await expectProblem(await send('GET', `/gateway/tanks/${'x'.repeat(101)}`), 400, 'invalid_request');
  });
});

describe('POST /api/tanks bodies', () => {
  it.each([
    ['no name', {}],
    ['an empty name', { name: '   ' }],
    ['a too long name', { name: 'n'.repeat(101) }],
    ['a seed that is not an integer', { name: 'Reef', seed: 1.5 }],
    ['a negative seed', { name: 'Reef', seed: -1 }],
    ['too many fish', { name: 'Reef', initial_fish: 101 }],
    ['is_public as a string', { name: 'Reef', is_public: 'yes' }],
    ['null', null],
  ])('should refuse %s with 400 invalid_request', async (_what, body) => {
    await expectProblem(await send('POST', '/api/tanks', JSON.stringify(body)), 400, 'invalid_request');
  });

  it.each([
    ['single-quoted', "{'name': 'Reef'}"],
    ['empty', ''],
  ])('should refuse %s JSON with 400 malformed_json', async (_what, text) => {
    await expectProblem(await send('POST', '/api/tanks', text), 400, 'malformed_json');
  });

  it('should refuse another media type with 415', async () => {
    await expectProblem(
      await send('POST', '/api/tanks', 'name=Reef', 'application/x-www-form-urlencoded'),
      415,
      'unsupported_media_type',
    );
  });

  it('should refuse a body over the limit with 413, with or without a length', async () => {
    const big = JSON.stringify({ name: 'Reef', description: 'd'.repeat(100_000) });
    await expectProblem(await send('POST', '/api/tanks', big), 413, 'payload_too_large');
    // Chunked: no content-length to trust, the limit counts what arrives.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(10_000)));
        controller.close();
      },
    });
    const res = await fetch(`${stack.gateway.url}/api/tanks`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(res, 413, 'payload_too_large');
  });

  it('should have created nothing from all of that', async () => {
    const list = await stack.json<{ tanks: Array<{ tank: { name: string } }> }>('/api/tanks', 200, {
      user: 'alice',
    });
    expect(list.tanks.map((t) => t.tank.name)).toEqual(['Target']);
  });
});

describe('forwarded routes', () => {
  it('should pass malformed JSON on to be refused with 400 malformed_json', async () => {
    await expectProblem(await send('POST', `/api/tanks/${tankId}/food`, '{"count": '), 400, 'malformed_json');
  });

  it('should refuse wrong types and unknown fields with 400 invalid_request', async () => {
    for (const body of [{ count: 'three' }, { count: 0 }, { count: 1, colour: 'red' }]) {
      await expectProblem(
        await send('POST', `/api/tanks/${tankId}/food`, JSON.stringify(body)),
        400,
        'invalid_request',
      );
    }
  });

  it('should refuse a body over the limit with 413 before forwarding it', async () => {
    const big = JSON.stringify({ genome: {}, pad: 'p'.repeat(100_000) });
    const res = await send('POST', `/api/tanks/${tankId}/fish`, big);
    expect(res.headers.get('x-tank-server')).toBeNull();
    await expectProblem(res, 413, 'payload_too_large');
  });
});
