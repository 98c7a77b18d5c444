/**
 * @module
 * What the Envoy sidecars cost: the native mesh (`tankworld mesh up`'s starter: a Consul agent,
 * two tank server processes each behind its own Envoy, the project's config entries) and a
 * gateway-side sidecar. Measured both ways on the same servers: a proxied read (`GET
 * /api/tanks/:id`) straight to the server vs through gateway sidecar → mTLS → server sidecar
 * with the `x-tank-server` route; and a whole cross-server 2PC transfer with the participant
 * calls direct vs through the sidecars. Run: `npm run bench mesh` (MESH_BENCH_N requests).
 */
import { mintToken } from '../src/auth/index.ts';
import { createServerClient, type ResolveServer } from '../src/gateway/server-client.ts';
import { createCoordinator, createParticipants } from '../src/gateway/transfers/index.ts';
import { resolveBinaries, startNativeMesh, TANK_SERVER_HEADER } from '../src/mesh/index.ts';
import { createRealtime } from '../src/realtime/index.ts';
import { createStore } from '../src/store/index.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { recordBenchmark } from './support/index.ts';

const N = Number(process.env.MESH_BENCH_N ?? 2000);
const TRANSFERS = Math.max(50, Math.round(N / 10));
const SECRET = 'bench-mesh-secret-0123456789abcdef';
const bins = resolveBinaries({ env: process.env });

const mesh = await startNativeMesh({
  serverIds: ['server-1', 'server-2'],
  jwtSecret: SECRET,
  internalSecret: SECRET,
  env: { LOG_LEVEL: 'warn' },
  binaries: {
    consul: bins.consul,
    envoy: bins.envoy,
    redisServer: bins.redisServer,
    postgresBinDir: bins.postgresBinDir,
  },
});
try {
  const [one, two] = mesh.servers as [(typeof mesh.servers)[0], (typeof mesh.servers)[0]];
  const token = await mintToken({ secret: SECRET, userId: 'bench' });
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const tankOn = async (url: string, fish: number) => {
    const res = await fetch(`${url}/api/tanks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'bench', initial_fish: fish }),
    });
    return ((await res.json()) as { tank: { tank_id: string } }).tank.tank_id;
  };
  const tank = await tankOn(two.url, 10);

  // Server-1's sidecar is the caller here (its upstream reaches server-2 over mTLS), which is
  // the same path a gateway's sidecar takes; the gateway process itself is left out.
  const direct = (path: string) => fetch(`${two.url}${path}`, { headers: auth });
  const viaMesh = (path: string) =>
    fetch(`http://127.0.0.1:${one.upstreamPort}${path}`, {
      headers: { ...auth, [TANK_SERVER_HEADER]: two.id },
    });

  async function latencies(call: (path: string) => Promise<Response>, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const began = performance.now();
      const res = await call(`/api/tanks/${tank}`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`read failed: ${res.status}`);
      out.push(performance.now() - began);
    }
    return out;
  }

  const logger = createLogger({ level: 'warn' });
  const store = createStore({ databaseUrl: mesh.databaseUrl, logger });
  const realtime = await createRealtime({});
  const coordinatorOver = (resolveServer: ResolveServer) =>
    createCoordinator({
      db: store.db,
      participants: createParticipants({ client: createServerClient({ secret: SECRET, resolveServer }) }),
      realtime,
      logger,
      crash: () => {},
    });
  const urls: Record<string, string> = { [one.id]: one.url, [two.id]: two.url };
  const directCoordinator = coordinatorOver((id) => (urls[id] ? { baseUrl: urls[id] } : undefined));
  const meshCoordinator = coordinatorOver((id) => ({
    baseUrl: `http://127.0.0.1:${one.upstreamPort}`,
    headers: { [TANK_SERVER_HEADER]: id },
  }));
  const a = await tankOn(one.url, 40);
  const b = await tankOn(two.url, 40);

  async function transfers(coordinator: ReturnType<typeof coordinatorOver>, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      // Back and forth, so neither tank runs dry or full.
      const [from, to, fromServer, toServer] = i % 2 === 0 ? [a, b, one.id, two.id] : [b, a, two.id, one.id];
      const fromUrl = urls[fromServer]!;
      const fish = (await (
        await fetch(`${fromUrl}/api/tanks/${from}/entities?kind=fish`, { headers: auth })
      ).json()) as {
        entities: Array<{ id: number }>;
      };
      const began = performance.now();
      const answer = await coordinator.submit({
        request: {
          source_tank_id: from,
          dest_tank_id: to,
          entity_id: fish.entities[0]!.id,
          entity_type: 'fish',
        },
        key: undefined,
        sourceServer: fromServer,
        destServer: toServer,
      });
      if (answer.status !== 200) throw new Error(`transfer failed: ${JSON.stringify(answer.body)}`);
      out.push(performance.now() - began);
    }
    return out;
  }

  const q = (samples: number[], p: number) => {
    const sorted = [...samples].sort((x, y) => x - y);
    return Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2));
  };
  await latencies(direct, 200);
  await latencies(viaMesh, 200);
  const readDirect = await latencies(direct, N);
  const readMesh = await latencies(viaMesh, N);
  await transfers(directCoordinator, 20);
  await transfers(meshCoordinator, 20);
  const moveDirect = await transfers(directCoordinator, TRANSFERS);
  const moveMesh = await transfers(meshCoordinator, TRANSFERS);
  const row = (scenario: string, samples: number[]) => ({
    scenario,
    n: samples.length,
    'p50 ms': q(samples, 0.5),
    'p95 ms': q(samples, 0.95),
    'p99 ms': q(samples, 0.99),
  });
  recordBenchmark({
    name: 'mesh',
    rows: [
      row('proxied read, direct', readDirect),
      row('proxied read, through 2 Envoy sidecars (mTLS, x-tank-server route)', readMesh),
      row('cross-server 2PC transfer, participant calls direct', moveDirect),
      row('cross-server 2PC transfer, participant calls through the sidecars', moveMesh),
    ],
    notes: [
      'native mesh: Consul 1.22.0 dev agent, Envoy 1.36.4 sidecars from `consul connect envoy -sidecar-for`, the project config entries',
      'one request at a time on keep-alive connections; the gateway process itself is left out (its sidecar path is server-1 → server-2)',
      'client, servers, Envoys and PostgreSQL share the 2 cores',
    ],
  });
  await store.close();
  await realtime.close();
} finally {
  await mesh.stop();
}
