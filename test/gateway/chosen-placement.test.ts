/**
 * @module
 * Chosen placement through the real create path: two regions (`eu`: server-1 and server-2;
 * `us`: server-3, which holds at most one tank) behind one gateway, on a real PostgreSQL.
 * A create may name its server (`server_id`) or its region; every refusal is a problem+json
 * naming why: a malformed id 422, a server unknown, unhealthy, draining, full or out of the
 * region 409, a region without a healthy server 409.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({
    cleanup,
    servers: 3,
    databaseUrl: db.url,
    regions: ['eu', 'eu', 'us'],
    maxTanks: [undefined, undefined, 1],
  });
}, 120_000);

interface Created {
  tank: { tank_id: string; server_id: string };
}

function create(body: Record<string, unknown>) {
  return stack.call('/api/tanks', {
    method: 'POST',
    user: 'alice',
    body: { name: 'Reef', initial_fish: 0, ...body },
  });
}

async function createdOn(body: Record<string, unknown>): Promise<string> {
  const res = await create(body);
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return (JSON.parse(text) as Created).tank.server_id;
}

async function expectProblem(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = JSON.parse(text) as { code: string; detail: string };
  expect(body.code).toBe(code);
  return body.detail;
}

/** Sets a server's discovery check and waits until the gateway sees it. */
async function setStatus(serverId: string, status: 'passing' | 'warning' | 'critical'): Promise<void> {
  stack.registry.updateCheck(`service:${serverId}:ttl`, status, `set by the test`);
  await waitFor(() => stack.gateway.ctx.directory.get(serverId)?.status === status, {
    what: `${serverId} ${status}`,
  });
}

describe('chosen placement', () => {
  it('should put every tank on the chosen server, whatever the balance says', async () => {
    const placed = [];
    for (let i = 0; i < 4; i++) placed.push(await createdOn({ server_id: 'server-2' }));
    expect(placed).toEqual(['server-2', 'server-2', 'server-2', 'server-2']);
    expect(stack.servers[1]!.server.host.list()).toHaveLength(4);
  });

  it('should answer 422 for a server id that is not one, and 409 for one no server has', async () => {
    for (const bad of ['Server 2', '-server', 'x'.repeat(150), '']) {
      await expectProblem(await create({ server_id: bad }), 422, 'invalid_placement_target');
    }
    expect(
      await expectProblem(await create({ server_id: 'server-9' }), 409, 'placement_unavailable'),
    ).toContain('unknown');
    // A body that is not even a string stays a malformed request.
    await expectProblem(await create({ server_id: 7 }), 400, 'invalid_request');
  });

  it('should keep a create to its region, spreading within it', async () => {
    const placed = new Set<string>();
    for (let i = 0; i < 6; i++) placed.add(await createdOn({ region: 'eu' }));
    expect([...placed].sort()).toEqual(['server-1', 'server-2']);
    // A zone names its region's servers too.
    expect(await createdOn({ region: 'eu-a', server_id: 'server-1' })).toBe('server-1');
  });

  it('should answer 409 for a region without a healthy server and a chosen server outside the region', async () => {
    expect(await expectProblem(await create({ region: 'ap' }), 409, 'placement_unavailable')).toContain(
      '"ap"',
    );
    expect(
      await expectProblem(
        await create({ region: 'us', server_id: 'server-1' }),
        409,
        'placement_unavailable',
      ),
    ).toContain('not in region');
  });

  it('should answer 409 when the chosen server, or its region’s only one, is full', async () => {
    expect(await createdOn({ region: 'us' })).toBe('server-3');
    expect(
      await expectProblem(await create({ server_id: 'server-3' }), 409, 'placement_unavailable'),
    ).toContain('server-3');
    await expectProblem(await create({ region: 'us' }), 409, 'placement_unavailable');
    // Nothing half-made: the full server holds its one tank, and no location names another.
    expect(stack.servers[2]!.server.host.list()).toHaveLength(1);
    const list = await stack.json<{ tanks: Array<{ tank: { server_id: string } }> }>(
      '/api/tanks?limit=100&server_id=server-3',
      200,
      { user: 'alice' },
    );
    expect(list.tanks).toHaveLength(1);
  });

  it('should answer 409 for a chosen server that is draining (warning) or down, and take it back after', async () => {
    await setStatus('server-1', 'warning');
    expect(
      await expectProblem(await create({ server_id: 'server-1' }), 409, 'placement_unavailable'),
    ).toContain('draining');
    await setStatus('server-1', 'critical');
    expect(
      await expectProblem(await create({ server_id: 'server-1' }), 409, 'placement_unavailable'),
    ).toContain('not healthy');
    // Its region still takes tanks, on the server left.
    expect(await createdOn({ region: 'eu' })).toBe('server-2');
    await setStatus('server-1', 'passing');
    expect(await createdOn({ server_id: 'server-1' })).toBe('server-1');
  });
});
