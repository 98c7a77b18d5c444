/**
 * @module
 * Chosen placement as it runs in production: a `tankworld gateway` process and two `tankworld
 * server` processes started with `REGION` settings (`eu` and `us`; the `us` one with
 * `MAX_TANKS=1`) on a real Consul agent, PostgreSQL and Redis. A create keeps to its region or
 * its chosen server, and each refusal is the problem+json the docs promise (docs/placement.md).
 */
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import {
  distributedEnv,
  freePorts,
  startConsul,
  startRedis,
  startTankworld,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();
const SECRET = 'placement-processes-secret-0123456789';
const SERVERS = [
  { id: 'srv-eu', region: 'eu', maxTanks: '2000' },
  { id: 'srv-us', region: 'us', maxTanks: '1' },
];

describe('chosen placement over processes in two regions', () => {
  it('should keep creates to their region or chosen server and refuse the rest with 409/422', async () => {
    const [consul, redis, database] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
    ]);
    const [gatewayPort, ...serverPorts] = await freePorts(3);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const env = distributedEnv({ consul, database, redis, secret: SECRET });
    // The gateway migrates the database first; the servers start on the migrated schema.
    await startTankworld({ role: 'gateway', id: 'gw-placement', port: gatewayPort!, env, cleanup });
    await Promise.all(
      SERVERS.map(({ id, region, maxTanks }, i) =>
        startTankworld({
          role: 'server',
          id,
          port: serverPorts[i]!,
          env: { ...env, REGION: region, ZONE: `${region}-1`, MAX_TANKS: maxTanks },
          cleanup,
        }),
      ),
    );

    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const create = (body: Record<string, unknown>) =>
      fetch(`${gatewayUrl}/api/tanks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Reef', initial_fish: 0, ...body }),
      });
    async function answer(body: Record<string, unknown>) {
      const res = await create(body);
      const json = (await res.json()) as { code?: string; tank?: { server_id: string } };
      return { status: res.status, code: json.code, serverId: json.tank?.server_id };
    }

    type ServersReply = { servers: Array<{ server_id: string; status: string; region: string }> };
    await waitFor(
      async () => {
        const res = await fetch(`${gatewayUrl}/api/servers`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const { servers } = (await res.json()) as ServersReply;
        return servers.filter((s) => s.status === 'online').length === 2;
      },
      { what: 'both servers online at the gateway', timeout: 30_000 },
    );

    // Each region's creates land there; a zone names its region's server too.
    for (let i = 0; i < 3; i++)
      expect(await answer({ region: 'eu' })).toMatchObject({ status: 201, serverId: 'srv-eu' });
    expect(await answer({ region: 'eu-1' })).toMatchObject({ status: 201, serverId: 'srv-eu' });
    expect(await answer({ region: 'us' })).toMatchObject({ status: 201, serverId: 'srv-us' });
    // The chosen server, even though the other has fewer tanks.
    expect(await answer({ server_id: 'srv-eu' })).toMatchObject({ status: 201, serverId: 'srv-eu' });
    // Refusals.
    expect(await answer({ server_id: 'srv-us' })).toMatchObject({
      status: 409,
      code: 'placement_unavailable',
    });
    expect(await answer({ region: 'us' })).toMatchObject({ status: 409, code: 'placement_unavailable' });
    expect(await answer({ region: 'ap' })).toMatchObject({ status: 409, code: 'placement_unavailable' });
    expect(await answer({ server_id: 'srv-mars' })).toMatchObject({
      status: 409,
      code: 'placement_unavailable',
    });
    expect(await answer({ server_id: 'srv-eu', region: 'us' })).toMatchObject({
      status: 409,
      code: 'placement_unavailable',
    });
    expect(await answer({ server_id: 'SRV EU' })).toMatchObject({
      status: 422,
      code: 'invalid_placement_target',
    });
    // With no choice made, the full server is passed over and the create lands on the other.
    expect(await answer({})).toMatchObject({ status: 201, serverId: 'srv-eu' });
  }, 90_000);
});
