/**
 * @module
 * The gateway as it runs in production: a `tankworld gateway` process and three `tankworld
 * server` processes on a real Consul agent, PostgreSQL and Redis. Thirty tanks created through
 * the gateway spread over the servers by load, each `websocket_url` streams decodable frames,
 * and a SIGKILLed server's tanks show as unavailable (listing, lookup, `servers` table) until
 * failover restores them on the healthy servers from their newest snapshot, with a higher epoch
 * and every fish still there.
 */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { createFrameDecoder } from '../../src/tank/wire/index.ts';
import { openViewer } from '../server/viewer.ts';
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

const cleanup = useCleanup();
const SECRET = 'gateway-processes-secret-0123456789';
const SERVER_IDS = ['srv-alpha', 'srv-beta', 'srv-gamma'];
const TANKS = 30;
/** Long enough to see the tanks unavailable before they move, short enough for a quick test. */
const FAILOVER_GRACE_MS = 4000;
/** How long the gateway's placement reuses the loads it read (src/gateway/load-view.ts). */
const LOAD_MAX_AGE_MS = 1000;

interface Lookup {
  tank: { tank_id: string; server_id: string; epoch: number };
  server: { server_id: string; host: string; port: number };
  websocket_url: string;
}

interface Listed {
  tanks: Array<{ tank: { tank_id: string; server_id: string | null }; available: boolean }>;
}

interface Entities {
  frame: number;
  entities: Array<{ kind: string; uid?: string }>;
}

function fishUids(entities: Entities): string[] {
  return entities.entities
    .filter((e) => e.kind === 'fish')
    .map((e) => e.uid as string)
    .sort();
}

describe('gateway and tank servers as processes on Consul, PostgreSQL and Redis', () => {
  it('should spread 30 tanks by load, stream each, and fail a killed server’s tanks over without losing a fish', async () => {
    const [consul, redis, database] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
    ]);
    const sql = cleanup.add(postgres(database.url, { max: 1, onnotice: () => {} }));
    const [gatewayPort, ...serverPorts] = await freePorts(4);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const env = {
      ...distributedEnv({ consul, database, redis, secret: SECRET }),
      CHECK_TTL: '2s',
    };

    // The gateway migrates the database first; the servers start on the migrated schema.
    await startTankworld({
      role: 'gateway',
      id: 'gw-processes',
      port: gatewayPort!,
      env: { ...env, FAILOVER_GRACE_MS: String(FAILOVER_GRACE_MS) },
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

    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    async function call<T>(method: string, route: string, status: number, body?: unknown): Promise<T> {
      const res = await fetch(`${gatewayUrl}${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status !== status)
        throw new Error(`${method} ${route}: expected ${status}, got ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    }

    type ServersReply = {
      servers: Array<{
        server_id: string;
        status: string;
        load: { cpu_percent: number; updated_at: string | null } | null;
      }>;
    };
    const loadsSince = async (since: number) => {
      const { servers: seen } = await call<ServersReply>('GET', '/api/servers', 200);
      const fresh = seen.filter(
        (s) => s.status === 'online' && s.load?.updated_at && Date.parse(s.load.updated_at) > since,
      );
      return fresh.length === 3 ? fresh : undefined;
    };
    // The gateway sees all three through Consul, with their load through Redis, and the servers
    // have settled after starting (a starting process's CPU would keep every tank away from it).
    await waitFor(async () => (await loadsSince(0))?.every((s) => s.load!.cpu_percent < 10), {
      what: 'three online servers at the gateway, settled',
      timeout: 30_000,
    });

    // Three bursts, each placed on the load the servers last reported (a fresh report per burst).
    const created: Lookup[] = [];
    for (let burst = 0; burst < 3; burst++) {
      for (let i = burst * (TANKS / 3); i < (burst + 1) * (TANKS / 3); i++) {
        created.push(
          await call<Lookup>('POST', '/api/tanks', 201, {
            name: `Spread ${i}`,
            seed: 100 + i,
            initial_fish: 6,
          }),
        );
      }
      const reported = Date.now() + LOAD_MAX_AGE_MS;
      await waitFor(() => loadsSince(reported), { what: 'a load report after the burst', timeout: 20_000 });
    }
    const byServer = new Map<string, string[]>(SERVER_IDS.map((id) => [id, []]));
    for (const c of created) byServer.get(c.server.server_id)!.push(c.tank.tank_id);
    // Each server takes a share; exact counts follow CPU readings, which vary run to run.
    for (const [id, ids] of byServer) expect(ids.length, `tanks on ${id}`).toBeGreaterThanOrEqual(3);

    // Every websocket_url streams binary frames of its own tank that the client decoder reads.
    await Promise.all(
      created.map(async (c) => {
        const viewer = openViewer(`${c.websocket_url}?token=${token}`);
        cleanup.add(() => viewer.ws.terminate());
        expect(c.websocket_url).toContain(`:${serverPorts[SERVER_IDS.indexOf(c.server.server_id)]}/`);
        await waitFor(() => viewer.frames.length >= 3, {
          what: `three frames of ${c.tank.tank_id}`,
          timeout: 30_000,
        });
        const decoder = createFrameDecoder();
        const frames = viewer.frames.slice(0, 3).map((bytes) => decoder.decode(bytes));
        expect(frames.every((f) => f !== undefined && f !== null)).toBe(true);
        expect(frames[2]!.frame).toBeGreaterThan(frames[0]!.frame);
        expect(frames[2]!.fish.length).toBeGreaterThan(0);
        viewer.ws.terminate();
      }),
    );

    // The victim's tanks are paused (no fish dies or is born) and snapshotted as they stand.
    const victim = SERVER_IDS[1]!;
    const victimTanks = byServer.get(victim)!;
    const before = new Map<string, string[]>();
    for (const id of victimTanks) {
      await call('POST', `/api/tanks/${id}/pause`, 200);
      await call('POST', `/api/tanks/${id}/snapshots`, 201);
      const uids = fishUids(await call<Entities>('GET', `/api/tanks/${id}/entities`, 200));
      expect(uids.length).toBeGreaterThan(0);
      before.set(id, uids);
    }
    const epochs = new Map(created.map((c) => [c.tank.tank_id, c.tank.epoch]));

    await servers.get(victim)!.kill('SIGKILL');

    // Unavailable once its TTL check goes critical: listed with available:false, lookups 503.
    const victimSet = new Set(victimTanks);
    await waitFor(
      async () => {
        const { tanks } = await call<Listed>('GET', '/api/tanks?limit=100', 200);
        const down = tanks.filter((t) => !t.available).map((t) => t.tank.tank_id);
        return down.length === victimSet.size && down.every((id) => victimSet.has(id));
      },
      { what: "the killed server's tanks listed unavailable", timeout: 20_000, interval: 100 },
    );
    const lookup = await fetch(`${gatewayUrl}/gateway/tanks/${victimTanks[0]}`, { headers });
    // It may already have moved if the machine was slow; then the failover checks below cover it.
    if (lookup.status !== 200) {
      expect(lookup.status).toBe(503);
      expect(lookup.headers.get('content-type')).toContain('application/problem+json');
      expect(await lookup.json()).toMatchObject({ code: 'tank_unavailable', server_id: victim });
    }
    await waitFor(
      async () =>
        (await sql<Array<{ status: string }>>`select status from servers where server_id = ${victim}`)[0]
          ?.status === 'offline',
      { what: 'the servers table showing the killed server offline', timeout: 20_000 },
    );

    // After the grace period every tank of the victim runs on a healthy server, one epoch on.
    const moved = await waitFor(
      async () => {
        const lookups = await Promise.all(
          victimTanks.map(async (id) => {
            const res = await fetch(`${gatewayUrl}/gateway/tanks/${id}`, { headers });
            return res.status === 200 ? ((await res.json()) as Lookup) : undefined;
          }),
        );
        return lookups.every((l) => l && l.server.server_id !== victim) ? (lookups as Lookup[]) : undefined;
      },
      { what: "the killed server's tanks failed over", timeout: 40_000, interval: 200 },
    );
    for (const l of moved) {
      expect(SERVER_IDS.filter((id) => id !== victim)).toContain(l.server.server_id);
      expect(l.tank.epoch).toBeGreaterThan(epochs.get(l.tank.tank_id)!);
      const after = await call<Entities>('GET', `/api/tanks/${l.tank.tank_id}/entities`, 200);
      expect(fishUids(after)).toEqual(before.get(l.tank.tank_id));
    }
    const { tanks } = await call<Listed>('GET', '/api/tanks?limit=100', 200);
    expect(tanks).toHaveLength(TANKS);
    expect(tanks.every((t) => t.available && t.tank.server_id !== victim)).toBe(true);
  });
});
