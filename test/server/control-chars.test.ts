/**
 * @module
 * NUL and other control characters at a tank server. PostgreSQL refuses 0x00 in text, so each
 * of these once answered 500; now a 400 `invalid_request` naming the field (the check runs on
 * every value a route's schemas accept), or a 401 for a token whose subject is unusable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { listTanks } from '../../src/store/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { rawRequest } from '../support/raw-http.ts';
import { type RequestOptions, SECRET, startTestServer, type TestServer } from './fixture.ts';

const cleanup = useCleanup();
let t: TestServer;
let tankId: string;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
  tankId = (
    await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Target' },
    })
  ).tank.tank_id;
});

async function tanks(): Promise<string[]> {
  return (await listTanks(t.store.db, { limit: 100 })).items.map((i) => i.tank.tankId).sort();
}

async function expectRefused(path: string, options: RequestOptions, field: string): Promise<void> {
  const before = await tanks();
  const res = await t.request(path, options);
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status: 400 });
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const problem = JSON.parse(text) as { code: string; detail: string; errors: Array<{ path: string }> };
  expect(problem.code).toBe('invalid_request');
  expect(problem.errors.map((e) => e.path)).toEqual([field]);
  expect(problem.detail).toContain(field);
  expect(await tanks()).toEqual(before);
}

describe('a NUL in what a tank server accepts', () => {
  it('should refuse a tank name holding a NUL as 400 naming name', async () => {
    await expectRefused(
      '/api/tanks',
      { method: 'POST', user: 'alice', body: { name: 'Reef\u0000' } },
      'name',
    );
  });

  it('should refuse a description holding a NUL as 400 naming description', async () => {
    await expectRefused(
      '/api/tanks',
      { method: 'POST', user: 'alice', body: { name: 'Reef', description: '\u0000' } },
      'description',
    );
  });

  it.each([
    ['a read', 'GET', '/api/tanks/%00'],
    ['a forwarded-style read', 'GET', '/api/tanks/a%00/stats'],
    ['a write', 'POST', '/api/tanks/%00/pause'],
  ])('should refuse a path id holding a NUL on %s as 400 naming id', async (_what, method, path) => {
    await expectRefused(path, { method, user: 'alice' }, 'id');
  });

  it('should answer a token whose sub holds a NUL with 401 invalid_token', async () => {
    const rawToken = await mintToken({ secret: SECRET, userId: 'ev\u0000il' });
    for (const path of ['/api/tanks', `/api/tanks/${tankId}`]) {
      const res = await t.request(path, { rawToken });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'invalid_token' });
    }
  });

  it('should answer a header holding a raw NUL (refused by the HTTP parser) with a 400 problem naming it', async () => {
    const reply = await rawRequest(t.server.url, [
      `GET /api/tanks/${tankId} HTTP/1.1`,
      'Host: localhost',
      'X-Request-Id: a\u0000b',
    ]);
    expect(reply.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(reply.body)).toMatchObject({
      type: '/problems/invalid_request',
      status: 400,
      code: 'invalid_request',
      errors: [{ path: 'x-request-id', in: 'header' }],
    });
  });

  it('should still take a description with a line break', async () => {
    const created = await t.json<{ tank: { tank_id: string; description: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Lines', description: 'one\ntwo' },
    });
    expect(created.tank.description).toBe('one\ntwo');
  });
});
