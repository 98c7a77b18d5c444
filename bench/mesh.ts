/**
 * @module
 * What the Envoy sidecars cost: the native mesh (`tankworld mesh up`'s starter: a Consul agent,
 * two tank server processes and the real gateway, each behind its own Envoy, the project's config
 * entries) beside a second `tankworld gateway` on the same servers that calls them directly (no
 * sidecar). Measured both ways: a read straight to a server vs through a sidecar upstream (mTLS,
 * `x-tank-server` route); a proxied read through each gateway; a cross-server 2PC transfer
 * (`POST /gateway/transfer`) through each gateway. Run: `npm run bench mesh` (MESH_BENCH_N reads).
 */
import path from 'node:path';
import { mintToken } from '../src/auth/index.ts';
import {
  createServiceToken,
  freePort,
  MeshService,
  PROJECT_ROOT,
  pinnedVersions,
  resolveBinaries,
  startNativeMesh,
  startProgram,
  TANK_SERVER_HEADER,
} from '../src/mesh/index.ts';
import { recordBenchmark, UNLIMITED_ENV } from './support/index.ts';

const N = Number(process.env.MESH_BENCH_N ?? 2000);
const TRANSFERS = Math.max(50, Math.round(N / 10));
const SECRET = 'bench-mesh-secret-0123456789abcdef';
const bins = resolveBinaries({ env: process.env });

const mesh = await startNativeMesh({
  serverIds: ['server-1', 'server-2'],
  gateway: true,
  jwtSecret: SECRET,
  internalSecret: SECRET,
  // Thousands of transfers as one user: far past a person's allowance.
  env: { LOG_LEVEL: 'warn', ...UNLIMITED_ENV },
  // The gateway without a sidecar below calls the servers' internal routes straight.
  confineInternal: false,
  binaries: {
    consul: bins.consul,
    envoy: bins.envoy,
    redisServer: bins.redisServer,
    postgresBinDir: bins.postgresBinDir,
  },
});
try {
  const [one, two] = mesh.servers as [(typeof mesh.servers)[0], (typeof mesh.servers)[0]];
  // The same gateway without a sidecar: it reaches servers at their registered addresses.
  const directPort = await freePort();
  // Consul runs default-deny: this gateway gets a token of its own, like the mesh's apps.
  const consulToken =
    mesh.operatorToken === undefined
      ? undefined
      : await createServiceToken({
          consulUrl: mesh.consul.url,
          operatorToken: mesh.operatorToken,
          serviceName: MeshService.gateway,
          description: 'tankworld bench gateway-direct',
        });
  const directGateway = await startProgram({
    name: 'gateway-direct',
    command: process.execPath,
    args: [path.join(PROJECT_ROOT, 'src/cli.ts'), 'gateway'],
    cwd: PROJECT_ROOT,
    env: {
      LOG_LEVEL: 'warn',
      DISTRIBUTED_MODE: 'true',
      DATABASE_URL: mesh.databaseUrl,
      REDIS_URL: mesh.redisUrl,
      JWT_SECRET: SECRET,
      INTERNAL_SECRET: SECRET,
      DISCOVERY: 'consul',
      CONSUL_HTTP_ADDR: mesh.consul.httpAddr,
      ...(consulToken ? { CONSUL_HTTP_TOKEN: consulToken } : {}),
      HOST: '127.0.0.1',
      PORT: String(directPort),
      GATEWAY_ID: 'gateway-direct',
      ...UNLIMITED_ENV,
    },
    ready: async () => {
      const res = await fetch(`http://127.0.0.1:${directPort}/health`, { signal: AbortSignal.timeout(2000) });
      return ((await res.json()) as { servers?: { passing?: number } }).servers?.passing === 2;
    },
  });
  const gateways = { direct: `http://127.0.0.1:${directPort}`, mesh: mesh.gateway!.url };
  try {
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

    async function latencies(call: () => Promise<Response>, n: number): Promise<number[]> {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const began = performance.now();
        const res = await call();
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`read failed: ${res.status}`);
        out.push(performance.now() - began);
      }
      return out;
    }
    const serverDirect = () => fetch(`${two.url}/api/tanks/${tank}`, { headers: auth });
    // Server-1's sidecar upstream takes the same path as the gateway's: caller Envoy → mTLS → server-2's Envoy.
    const serverViaSidecars = () =>
      fetch(`http://127.0.0.1:${one.upstreamPort}/api/tanks/${tank}`, {
        headers: { ...auth, [TANK_SERVER_HEADER]: two.id },
      });
    const viaGateway = (url: string) => () => fetch(`${url}/api/tanks/${tank}`, { headers: auth });

    const a = await tankOn(one.url, 40);
    const b = await tankOn(two.url, 40);
    async function transfers(gatewayUrl: string, n: number): Promise<number[]> {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        // Back and forth, so neither tank runs dry or full.
        const [from, to, fromUrl] = i % 2 === 0 ? [a, b, one.url] : [b, a, two.url];
        const fish = (await (
          await fetch(`${fromUrl}/api/tanks/${from}/entities?kind=fish`, { headers: auth })
        ).json()) as { entities: Array<{ id: number }> };
        const began = performance.now();
        const res = await fetch(`${gatewayUrl}/gateway/transfer`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ source_tank_id: from, dest_tank_id: to, entity_id: fish.entities[0]!.id }),
        });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`transfer failed: ${res.status} ${body}`);
        out.push(performance.now() - began);
      }
      return out;
    }

    // 16 at once: 16 pairs of paused tanks (one on each server), a transfer loop on each pair.
    const pairs: Array<{ a: string; b: string }> = [];
    for (let i = 0; i < 16; i++) {
      const pair = { a: await tankOn(one.url, 20), b: await tankOn(two.url, 20) };
      for (const [url, id] of [
        [one.url, pair.a],
        [two.url, pair.b],
      ] as const)
        await fetch(`${url}/api/tanks/${id}/pause`, { method: 'POST', headers: auth });
      pairs.push(pair);
    }
    async function concurrentTransfers(gatewayUrl: string, perPair: number): Promise<number[]> {
      const out: number[] = [];
      await Promise.all(
        pairs.map(async ({ a: left, b: right }) => {
          // One fish goes back and forth; each answer's new_id names it in the other tank, so
          // no read runs between two transfers (it would take CPU from the ones in flight).
          const fish = (await (
            await fetch(`${one.url}/api/tanks/${left}/entities?kind=fish`, { headers: auth })
          ).json()) as { entities: Array<{ id: number }> };
          let id = fish.entities[0]!.id;
          for (let i = 0; i < perPair; i++) {
            const [from, to] = i % 2 === 0 ? [left, right] : [right, left];
            const began = performance.now();
            const res = await fetch(`${gatewayUrl}/gateway/transfer`, {
              method: 'POST',
              headers: auth,
              body: JSON.stringify({ source_tank_id: from, dest_tank_id: to, entity_id: id }),
            });
            const body = await res.text();
            if (res.status !== 200) throw new Error(`transfer failed: ${res.status} ${body}`);
            out.push(performance.now() - began);
            id = (JSON.parse(body) as { new_id: number }).new_id;
          }
        }),
      );
      return out;
    }

    const q = (samples: number[], p: number) => {
      const sorted = [...samples].sort((x, y) => x - y);
      return Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2));
    };
    for (const call of [
      serverDirect,
      serverViaSidecars,
      viaGateway(gateways.direct),
      viaGateway(gateways.mesh),
    ])
      await latencies(call, 200);
    await transfers(gateways.direct, 20);
    await transfers(gateways.mesh, 20);
    await concurrentTransfers(gateways.direct, 2);
    await concurrentTransfers(gateways.mesh, 2);
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
        row('read at the server, direct', await latencies(serverDirect, N)),
        row(
          'read at the server, through 2 sidecars (mTLS, x-tank-server route)',
          await latencies(serverViaSidecars, N),
        ),
        row(
          'read proxied by the gateway, gateway → server direct',
          await latencies(viaGateway(gateways.direct), N),
        ),
        row(
          'read proxied by the gateway, through its sidecar and the server’s',
          await latencies(viaGateway(gateways.mesh), N),
        ),
        row(
          'cross-server 2PC transfer (POST /gateway/transfer), direct',
          await transfers(gateways.direct, TRANSFERS),
        ),
        row(
          'cross-server 2PC transfer (POST /gateway/transfer), through the sidecars',
          await transfers(gateways.mesh, TRANSFERS),
        ),
        row(
          'cross-server transfers, 16 at once (16 pairs of tanks), direct',
          await concurrentTransfers(gateways.direct, Math.ceil(TRANSFERS / 8)),
        ),
        row(
          'cross-server transfers, 16 at once (16 pairs of tanks), through the sidecars',
          await concurrentTransfers(gateways.mesh, Math.ceil(TRANSFERS / 8)),
        ),
      ],
      notes: [
        `native mesh: Consul ${pinnedVersions().consul} dev agent, Envoy ${pinnedVersions().envoy} sidecars from \`consul connect envoy -sidecar-for\`, the project config entries`,
        'the real `tankworld gateway` twice on the same servers: the mesh one (CONNECT_UPSTREAM_PORT, every server call through its sidecar) and one without a sidecar (servers at their registered addresses; for it the servers also serve /internal/* on their public port, which a mesh by default confines to the loopback listener of the sidecar)',
        'one request at a time on keep-alive connections, except the 16-at-once rows (16 client loops, each moving one fish back and forth between its own pair of paused tanks); client, gateways, servers, Envoys and PostgreSQL share the 2 cores',
      ],
    });
  } finally {
    await directGateway.stop();
  }
} finally {
  await mesh.stop();
}
