/**
 * @module
 * A gateway whose lookup cache names the wrong server (the tank moved behind its back and the
 * event never arrived) still answers: the server it reached says 404, the gateway looks the
 * owner up again and retries once on the right server.
 */
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import { createLocalDiscovery, createLocalRegistry } from '../../src/discovery/index.ts';
import { createGateway } from '../../src/gateway/index.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { SECRET, startTestServer } from '../server/fixture.ts';
import { createCleanup } from '../support/index.ts';

describe('a stale lookup cache', () => {
  it('should reach the tank on its real server after one 404 from the cached one', async ({
    onTestFinished,
  }) => {
    const cleanup = createCleanup();
    onTestFinished(cleanup.run);
    const registry = createLocalRegistry();
    const one = await startTestServer({ cleanup, serverId: 'server-1', registry });
    const two = await startTestServer({ cleanup, serverId: 'server-2', registry, store: one.store });
    const realtime = cleanup.add(await createRealtime({}));
    const gateway = createGateway({
      gatewayId: 'gateway-test',
      port: 0,
      db: one.store.db,
      discovery: createLocalDiscovery({ registry }),
      realtime,
      verifier: createTokenVerifier({ secret: SECRET }),
      internalSecret: SECRET,
      logger: createLogger({ level: 'silent' }),
      failoverGraceMs: 0,
    });
    await gateway.start();
    cleanup.add(() => gateway.stop());
    const auth = { authorization: `Bearer ${await mintToken({ secret: SECRET, userId: 'alice' })}` };

    const created = await gateway.fetch(
      new Request(`${gateway.url}/api/tanks`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Wanderer' }),
      }),
    );
    expect(created.status).toBe(201);
    const { tank } = (await created.json()) as { tank: { tank_id: string; server_id: string } };
    const record = await gateway.ctx.cache.get(tank.tank_id);
    const wrong = tank.server_id === 'server-1' ? 'server-2' : 'server-1';
    expect([one, two].some((t) => t.server.host.get(tank.tank_id))).toBe(true);

    gateway.ctx.cache.put({ ...record!, serverId: wrong });
    const stats = await gateway.fetch(
      new Request(`${gateway.url}/api/tanks/${tank.tank_id}/stats`, { headers: auth }),
    );
    expect(stats.status).toBe(200);
    expect(stats.headers.get('x-tank-server')).toBe(tank.server_id);
    expect((await gateway.ctx.cache.get(tank.tank_id))?.serverId).toBe(tank.server_id);
  });
});
