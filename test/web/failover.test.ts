/**
 * @module
 * The web app when a server goes away, in real Chromium: a `tankworld gateway` process and two
 * `tankworld server` processes on the harness's Consul, PostgreSQL and Redis. The viewer of a
 * tank whose server is SIGKILLed shows it is reconnecting, and once the gateway fails the tank
 * over it is live again on the other server (looked up anew, backoff and all) with moving fish.
 * Meanwhile the dashboard, without a reload, marks the server critical and its feed says the
 * server went down and the tank moved.
 */
import { describe, expect, it } from 'vitest';
import {
  distributedEnv,
  freePorts,
  type ProgramHandle,
  startConsul,
  startRedis,
  startTankworld,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';
import { ensureWebBuilt, gatewayStack, launchBrowser, openAs, SECRET } from './browser.ts';

const cleanup = useCleanup();
const SERVER_IDS = ['web-srv-a', 'web-srv-b'];

describe('the web app across a server failure', () => {
  it('should reconnect the viewer to the tank on its new server, and show the failure live on the dashboard', async () => {
    ensureWebBuilt();
    const [consul, redis, database] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
    ]);
    const [gatewayPort, ...serverPorts] = await freePorts(3);
    const gateway = `http://127.0.0.1:${gatewayPort}`;
    const env = {
      ...distributedEnv({ consul, database, redis, secret: SECRET }),
      CHECK_TTL: '2s',
    };
    await startTankworld({
      role: 'gateway',
      id: 'gw-web',
      port: gatewayPort!,
      env: { ...env, FAILOVER_GRACE_MS: '2000' },
      cleanup,
    });
    const servers = new Map<string, ProgramHandle>();
    await Promise.all(
      SERVER_IDS.map(async (id, i) => {
        const port = serverPorts[i]!;
        const handle = await startTankworld({
          role: 'server',
          id,
          port,
          env: { ...env, SNAPSHOT_INTERVAL_MS: '1000' },
          cleanup,
        });
        servers.set(id, handle);
      }),
    );
    const stack = gatewayStack(gateway);
    const both = await waitFor(
      async () => {
        const reply = (await (await stack.call('alice', 'GET', '/api/servers')).json()) as {
          servers: Array<{ health: string }>;
        };
        return reply.servers.filter((s) => s.health === 'passing').length === 2 || undefined;
      },
      { what: 'both servers passing at the gateway', timeout: 30_000 },
    );
    expect(both).toBe(true);
    const created = await stack.call('alice', 'POST', '/api/tanks', { name: 'Survivor' });
    expect(created.status).toBe(201);
    const { tank } = (await created.json()) as { tank: { tank_id: string; server_id: string } };
    const doomed = tank.server_id;
    const other = SERVER_IDS.find((id) => id !== doomed)!;
    // Let a snapshot of the tank land so failover restores it with its fish.
    await waitFor(
      async () => {
        const res = await stack.call('alice', 'GET', `/api/tanks/${tank.tank_id}/snapshots`);
        const body = (await res.json()) as { snapshots?: unknown[] };
        return (body.snapshots?.length ?? 0) > 0 || undefined;
      },
      { what: 'a snapshot of the tank', timeout: 20_000 },
    );

    const browser = await launchBrowser(cleanup);
    const viewer = await openAs(browser, stack, 'alice', `/tank.html?id=${tank.tank_id}`);
    await viewer.waitForSelector('#conn[data-state="live"]');
    expect(await viewer.textContent('#where')).toContain(doomed);
    const dashboard = await openAs(browser, stack, 'alice', '/');
    await dashboard.waitForSelector(`#servers tr[data-server="${doomed}"] .badge.passing`);

    await servers.get(doomed)!.kill('SIGKILL');
    await viewer.waitForSelector('#conn[data-state="warn"]', { timeout: 15_000 });
    await viewer.waitForSelector('#conn[data-state="live"]', { timeout: 45_000 });
    expect(await viewer.textContent('#where')).toContain(other);
    const before = await viewer.locator('canvas').screenshot();
    await waitFor(async () => !before.equals(await viewer.locator('canvas').screenshot()) || undefined, {
      what: 'fish moving on the new server',
      timeout: 15_000,
    });

    await dashboard.waitForSelector(`#servers tr[data-server="${doomed}"] .badge:not(.passing)`, {
      timeout: 15_000,
    });
    await dashboard.waitForSelector('#feed li[data-type="server_down"]', { timeout: 15_000 });
    await dashboard
      .locator('#feed li[data-type="tank_moved"]', { hasText: `Survivor moved ${doomed} → ${other}` })
      .waitFor({ timeout: 15_000 });
    await dashboard.waitForSelector(
      `#tanks tr[data-tank="${tank.tank_id}"] td:nth-child(2):has-text("${other}")`,
    );
  });
});
