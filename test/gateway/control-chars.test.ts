/**
 * @module
 * NUL and other control characters at the gateway. PostgreSQL refuses 0x00 in text, so each of
 * these once answered 500 (a tank name even 503 "no healthy tank server", the server's 500 making
 * the gateway try the next one). Each is now a 400 `invalid_request` naming the field, or a 401
 * for a token whose subject is unusable, and leaves no tank, grant or transfer behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { listPermissions, listTanks, listTransfersByTank } from '../../src/store/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { rawRequest } from '../support/raw-http.ts';
import { type CallOptions, type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let tankId: string;
let otherId: string;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url });
  const create = async (name: string) =>
    (
      await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
        method: 'POST',
        user: 'alice',
        body: { name, initial_fish: 1 },
      })
    ).tank.tank_id;
  tankId = await create('Source');
  otherId = await create('Destination');
}, 120_000);

/** Tank rows, alice's grants and transfers: a refused request changes none of them. */
async function footprint() {
  const db = stack.store.db;
  return {
    tanks: (await listTanks(db, { limit: 500 })).items.map((i) => i.tank.tankId).sort(),
    grants: (await listPermissions(db, tankId)).map((g) => g.userId),
    transfers: (await listTransfersByTank(db, tankId)).length,
  };
}

/** The reply is a 400 `invalid_request` whose `errors` name `field`; nothing changed. */
async function expectRefused(path: string, options: CallOptions, field: string): Promise<void> {
  const before = await footprint();
  const res = await stack.call(path, options);
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status: 400 });
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const problem = JSON.parse(text) as { code: string; detail: string; errors: Array<{ path: string }> };
  expect(problem.code).toBe('invalid_request');
  expect(problem.errors.map((e) => e.path)).toEqual([field]);
  expect(problem.detail).toContain(field);
  expect(await footprint()).toEqual(before);
}

describe('a NUL in what the gateway accepts', () => {
  it('should refuse a grant whose user_id holds a NUL as 400 naming user_id', async () => {
    await expectRefused(
      `/api/tanks/${tankId}/permissions`,
      { method: 'POST', user: 'alice', body: { user_id: 'b\u0000b', permission: 'read' } },
      'user_id',
    );
  });

  it('should refuse a revoke whose path user_id holds a NUL as 400 naming user_id', async () => {
    await expectRefused(
      `/api/tanks/${tankId}/permissions/b%00b`,
      { method: 'DELETE', user: 'alice' },
      'user_id',
    );
  });

  it('should refuse ?server_id=%00 on the listing as 400 naming server_id', async () => {
    await expectRefused('/api/tanks?server_id=%00', { user: 'alice' }, 'server_id');
  });

  it.each([
    ['a lookup', 'GET', '/gateway/tanks/%00'],
    ['a forwarded read', 'GET', '/api/tanks/a%00b/stats'],
    ['a delete', 'DELETE', '/api/tanks/%00'],
  ])('should refuse a path id holding a NUL on %s as 400 naming id', async (_what, method, path) => {
    await expectRefused(path, { method, user: 'alice' }, 'id');
  });

  it('should refuse a tank name holding a NUL as 400 naming name, not 503 "no healthy tank server"', async () => {
    await expectRefused(
      '/api/tanks',
      { method: 'POST', user: 'alice', body: { name: 'Reef\u0000' } },
      'name',
    );
  });

  it('should refuse a description holding a NUL as 400 naming description', async () => {
    await expectRefused(
      '/api/tanks',
      { method: 'POST', user: 'alice', body: { name: 'Reef', description: 'deep\u0000' } },
      'description',
    );
  });

  it('should refuse an idempotency_key holding a NUL as 400 naming idempotency_key', async () => {
    await expectRefused(
      '/gateway/transfer',
      {
        method: 'POST',
        user: 'alice',
        body: { source_tank_id: tankId, dest_tank_id: otherId, entity_id: 1, idempotency_key: 'k\u0000' },
      },
      'idempotency_key',
    );
  });

  it('should refuse an Idempotency-Key header holding a control character as 400 naming it', async () => {
    // fetch's Headers refuse NUL itself (so does Node's HTTP parser); other C0 controls get through.
    await expectRefused(
      '/gateway/transfer',
      {
        method: 'POST',
        user: 'alice',
        headers: { 'idempotency-key': 'k\u0001' },
        body: { source_tank_id: tankId, dest_tank_id: otherId, entity_id: 1 },
      },
      'idempotency-key',
    );
  });

  it('should answer an Idempotency-Key holding a raw NUL (refused by the HTTP parser) with 400 naming it', async () => {
    const body = JSON.stringify({ source_tank_id: tankId, dest_tank_id: otherId, entity_id: 1 });
    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const before = await footprint();
    const reply = await rawRequest(
      stack.gateway.url,
      [
        'POST /gateway/transfer HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${token}`,
        'Content-Type: application/json',
        'Idempotency-Key: k\u0000',
        `Content-Length: ${body.length}`,
      ],
      body,
    );
    expect(reply.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply.head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(reply.body)).toMatchObject({
      code: 'invalid_request',
      errors: [{ path: 'idempotency-key', in: 'header' }],
    });
    expect(await footprint()).toEqual(before);
  });

  it.each([
    ['the listing', '/api/tanks'],
    ['a lookup', 'TANK'],
  ])('should answer a token whose sub holds a NUL with 401 invalid_token on %s', async (_what, path) => {
    const rawToken = await mintToken({ secret: SECRET, userId: 'ev\u0000il' });
    const res = await stack.call(path === 'TANK' ? `/gateway/tanks/${tankId}` : path, { rawToken });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'invalid_token' });
  });
});

describe('control characters where they make sense', () => {
  it('should still take a description with line breaks and tabs', async () => {
    const created = await stack.json<{ tank: { tank_id: string; description: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Lines', description: 'one\n\ttwo\r\n' },
    });
    expect(created.tank.description).toBe('one\n\ttwo\r\n');
    await stack.json(`/api/tanks/${created.tank.tank_id}`, 200, { method: 'DELETE', user: 'alice' });
  });

  it('should refuse a line break in an id field (a grant user_id)', async () => {
    await expectRefused(
      `/api/tanks/${tankId}/permissions`,
      { method: 'POST', user: 'alice', body: { user_id: 'bob\nmallory', permission: 'read' } },
      'user_id',
    );
  });
});
