/**
 * @module
 * `docs/metrics.md` against what the processes export: a `tankworld gateway` and two
 * `tankworld server` processes make a cross-server transfer and restart a server (so its tanks
 * are restored from their snapshots); then every row of the doc's tables is in the scrape of
 * the process it names, with its type, every family the processes export has a row, and the
 * series for what just happened carry samples.
 */
import { readFileSync } from 'node:fs';
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
const SECRET = 'metrics-doc-secret-0123456789';

interface DocRow {
  name: string;
  type: string;
  process: 'gateway' | 'server' | 'both';
}

/** The rows of every table in docs/metrics.md: `| \`name\` | type | labels | process | what |`. */
function docRows(): DocRow[] {
  const text = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  return [...text.matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \| (\w+) \|[^|]*\| (gateway|server|both) \|/gm)].map(
    (m) => ({ name: m[1]!, type: m[2]!, process: m[3] as DocRow['process'] }),
  );
}

/** Family name → type, from the `# TYPE` lines of a scrape. */
function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The sum of a family's samples whose line matches `filter` (e.g. a label). */
function sum(text: string, sample: string, filter = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${sample}{`) && !line.startsWith(`${sample} `)) continue;
    if (filter && !line.includes(filter)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('docs/metrics.md', () => {
  it('should list exactly the metrics the gateway and servers export, each with samples once used', async () => {
    const rows = docRows();
    expect(rows.length).toBeGreaterThan(40);
    const [consul, redis, database] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
    ]);
    const [gatewayPort, port1, port2] = await freePorts(3);
    const env = {
      ...distributedEnv({ consul, database, redis, secret: SECRET }),
      SNAPSHOT_INTERVAL_MS: '300',
      // The restart below must restore srv-m1's tanks from their snapshots: no live drain first.
      DRAIN_TIMEOUT_MS: '0',
    };
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const serverUrls = [`http://127.0.0.1:${port1}`, `http://127.0.0.1:${port2}`];
    const [, server1] = await Promise.all([
      startTankworld({ role: 'gateway', id: 'gw-metrics', port: gatewayPort!, env, cleanup }),
      startTankworld({ role: 'server', id: 'srv-m1', port: port1!, env, cleanup }),
      startTankworld({ role: 'server', id: 'srv-m2', port: port2!, env, cleanup }),
    ]);
    const headers = {
      authorization: `Bearer ${await mintToken({ secret: SECRET, userId: 'alice' })}`,
      'content-type': 'application/json',
    };
    const call = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${gatewayUrl}${path}`, { ...init, headers });
      const body = (await res.json()) as Record<string, unknown>;
      return { status: res.status, body };
    };
    await waitFor(
      async () => {
        const { body } = await call('/api/servers');
        return (body.servers as Array<{ health: string }>).filter((s) => s.health === 'passing').length === 2;
      },
      { what: 'both servers passing at the gateway', timeout: 30_000 },
    );
    // Tanks on both servers: placement spreads by load, so create until two differ.
    const tanks = new Map<string, string>();
    for (let i = 0; tanks.size < 2 && i < 12; i++) {
      const { status, body } = await call('/api/tanks', {
        method: 'POST',
        body: JSON.stringify({ name: `Doc ${i}`, initial_fish: 3 }),
      });
      expect(status).toBe(201);
      const tank = body.tank as { tank_id: string; server_id: string };
      if (!tanks.has(tank.server_id)) tanks.set(tank.server_id, tank.tank_id);
    }
    expect(tanks.size).toBe(2);
    const source = tanks.get('srv-m1')!;
    const dest = tanks.get('srv-m2')!;
    const fish = (await call(`/api/tanks/${source}/entities?kind=fish`)).body.entities as Array<{
      id: number;
    }>;
    const moved = await call('/gateway/transfer', {
      method: 'POST',
      body: JSON.stringify({
        source_tank_id: source,
        dest_tank_id: dest,
        entity_id: fish[0]!.id,
        entity_type: 'fish',
      }),
    });
    expect(moved.status).toBe(200);
    // A restart restores srv-m1's tanks from their snapshots.
    await server1.restart();

    const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
    const gateway = await scrape(gatewayUrl);
    const servers = await waitFor(
      async () => {
        const texts = await Promise.all(serverUrls.map(scrape));
        const ready = texts.every(
          (t) =>
            sum(t, 'tankworld_snapshot_batch_duration_seconds_count') > 0 &&
            sum(t, 'tankworld_tick_lag_seconds_count') > 0,
        );
        return ready ? texts : undefined;
      },
      { what: 'a snapshot batch and ticks on both servers', timeout: 20_000 },
    );
    const exported = { gateway: families(gateway), server: families(servers[0]!) };

    for (const row of rows) {
      const where = row.process === 'both' ? (['gateway', 'server'] as const) : [row.process];
      for (const process of where) {
        expect(exported[process].get(row.name), `${row.name} on the ${process}`).toBe(row.type);
      }
    }
    const listed = new Set(rows.map((r) => r.name));
    for (const [process, found] of Object.entries(exported)) {
      for (const name of found.keys()) expect(listed.has(name), `${name} (${process}) in the doc`).toBe(true);
    }

    // What the test did shows in the series.
    expect(sum(gateway, 'tankworld_transfers_total', 'outcome="committed"')).toBe(1);
    expect(sum(gateway, 'tankworld_transfer_duration_seconds_count', 'outcome="committed"')).toBe(1);
    expect(sum(gateway, 'tankworld_transfer_phase_duration_seconds_count', 'phase="prepare"')).toBe(1);
    expect(sum(gateway, 'tankworld_transfer_phase_duration_seconds_count', 'phase="commit"')).toBe(1);
    expect(sum(gateway, 'tankworld_gateway_placements_total')).toBeGreaterThanOrEqual(2);
    expect(sum(gateway, 'tankworld_gateway_servers', 'health="passing"')).toBe(2);
    expect(
      sum(gateway, 'tankworld_gateway_http_request_duration_seconds_count', 'route="/gateway/transfer"'),
    ).toBe(1);
    const restarted = servers[0]!;
    expect(
      sum(restarted, 'tankworld_snapshot_restore_duration_seconds_count', 'from="snapshot"'),
    ).toBeGreaterThan(0);
    expect(sum(restarted, 'tankworld_tanks')).toBeGreaterThan(0);
    expect(sum(restarted, 'tankworld_snapshot_age_seconds')).toBeLessThan(60);
  });
});
