/**
 * @module
 * The fleet the partition tests cut apart: Consul, Redis, PostgreSQL, a `tankworld gateway`
 * and a `tankworld server` ("mainland") in the root namespace, and the server under test
 * ("island") either in a network namespace of its own or beside them. In a namespace the island
 * has three links, so each kind of traffic can be cut alone: `control` (Consul, Redis, and the
 * gateway's calls to it), `postgres`, and `viewers` (the test's WebSockets and its audit
 * calls). Services on 127.0.0.1 are relayed onto the links' root-side addresses.
 *
 * The island starts alone and takes every tank created before the mainland starts, so the
 * tests know where each tank is without asking placement.
 */
import { mintToken } from '../../src/auth/index.ts';
import { createParticipants } from '../../src/coordinator/index.ts';
import { runAudit } from '../../src/gateway/index.ts';
import { createServerClient } from '../../src/server-client/index.ts';
import { createStore, listServers, type Store } from '../../src/store/index.ts';
import {
  type Cleanup,
  createNetns,
  distributedEnv,
  freePorts,
  type NetnsLink,
  type ProgramHandle,
  startConsul,
  startRedis,
  startTankworld,
  startTcpRelay,
  useDatabase,
  waitFor,
} from '../support/index.ts';
import { FAST, type Lookup, request, TANK_FISH } from './fleet-api.ts';

export {
  FAST,
  FENCED,
  type FrameViewer,
  type Lookup,
  PASSES,
  request,
  TANK_FISH,
  watchTank,
} from './fleet-api.ts';

export const ISLAND = 'island';
export const MAINLAND = 'mainland';
const SECRET = 'partition-tests-secret-0123456789';

export interface FleetServer {
  readonly id: string;
  readonly handle: ProgramHandle;
  /** Its base URL from the test (the viewer link for an island in a namespace). */
  readonly url: string;
}

export interface PartitionFleet {
  readonly gatewayUrl: string;
  readonly token: string;
  readonly island: FleetServer;
  /** Set once `startMainland()` ran. */
  mainland?: FleetServer;
  /** The island's links when it runs in a namespace. */
  readonly links?: Record<'control' | 'postgres' | 'viewers', NetnsLink>;
  /** A store on the test's database, for the audit and snapshot reads. */
  readonly store: Store;
  /** The tanks created on the island at start. */
  readonly tanks: Lookup[];
  startMainland(): Promise<FleetServer>;
  /** A gateway call as alice that must answer `status`; the parsed body. */
  call<T>(method: string, route: string, status: number, body?: unknown): Promise<T>;
  /** The gateway's lookup of a tank, or undefined while it answers anything but 200. */
  lookup(tankId: string): Promise<Lookup | undefined>;
  /** A server's health at the gateway (`passing`, `critical`, …), undefined if not listed. */
  health(serverId: string): Promise<string | undefined>;
  /** A server as `GET /api/servers` lists it (health, load), undefined if not listed. */
  server(serverId: string): Promise<ListedServer | undefined>;
  /** The tank ids a server holds, asked over its own URL. */
  census(serverId: string): Promise<Map<string, string[]>>;
  /**
   * `tankworld audit` as the command runs it (every server the `servers` table does not show
   * offline), each server asked at its test URL.
   */
  audit(): ReturnType<typeof runAudit>;
}

export interface ListedServer {
  server_id: string;
  health: string;
  load: { cpu_percent: number; updated_at: string | null } | null;
}

export interface PartitionFleetOptions {
  cleanup: Cleanup;
  /** Run the island in a network namespace of its own (else in the root namespace). */
  netns: boolean;
  /** Tanks created on the island before the mainland starts. */
  tanks: number;
  /** Added to every process's environment (after the fast profile). */
  env?: Record<string, string>;
}

/**
 * @example
 * ```ts
 * const fleet = await startPartitionFleet({ cleanup, netns: true, tanks: 3 });
 * await fleet.startMainland();
 * await fleet.links!.postgres.cut();
 * ```
 */
export async function startPartitionFleet({
  cleanup,
  netns,
  tanks: tankCount,
  env: extra = {},
}: PartitionFleetOptions): Promise<PartitionFleet> {
  const [consul, redis, database] = await Promise.all([
    startConsul({ cleanup }),
    startRedis({ cleanup }),
    useDatabase({ cleanup }),
  ]);
  const store = cleanup.add(createStore({ databaseUrl: database.url, poolSize: 2 }));
  const [gatewayPort, islandPort, mainlandPort] = (await freePorts(3)) as [number, number, number];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const env = { ...distributedEnv({ consul, database, redis, secret: SECRET }), ...FAST, ...extra };
  await startTankworld({ role: 'gateway', id: 'gw-partition', port: gatewayPort, env, cleanup });

  let islandEnv: Record<string, string> = { ...env, SNAPSHOT_INTERVAL_MS: FAST.SNAPSHOT_INTERVAL_MS };
  let islandHost = '127.0.0.1';
  let links: PartitionFleet['links'];
  let nsName: string | undefined;
  if (netns) {
    const ns = await createNetns({ links: ['control', 'postgres', 'viewers'] as const, cleanup });
    links = ns.links;
    nsName = ns.name;
    const relayed = async (link: NetnsLink, url: URL) => {
      await startTcpRelay({
        host: link.rootAddress,
        target: { host: url.hostname, port: Number(url.port) },
        cleanup,
      });
      url.hostname = link.rootAddress;
      return url.toString();
    };
    const consulUrl = new URL(`http://${consul.httpAddr}`);
    await relayed(links.control, consulUrl);
    islandHost = links.viewers.nsAddress;
    islandEnv = {
      ...islandEnv,
      CONSUL_HTTP_ADDR: consulUrl.host,
      REDIS_URL: await relayed(links.control, new URL(redis.url)),
      DATABASE_URL: await relayed(links.postgres, new URL(database.url)),
      HOST: '0.0.0.0',
      // The gateway calls it over the control link; viewers and the audit use the viewer link.
      ADVERTISE_ADDRESS: links.control.nsAddress,
      PUBLIC_URL: `http://${islandHost}:${islandPort}`,
      WS_URL: `ws://${islandHost}:${islandPort}`,
    };
  }
  const islandHandle = await startTankworld({
    role: 'server',
    id: ISLAND,
    port: islandPort,
    env: islandEnv,
    netns: nsName ? { name: nsName, host: islandHost } : undefined,
    cleanup,
  });
  const island: FleetServer = { id: ISLAND, handle: islandHandle, url: `http://${islandHost}:${islandPort}` };
  const urls = new Map([[ISLAND, island.url]]);

  const token = await mintToken({ secret: SECRET, userId: 'alice' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  async function call<T>(method: string, route: string, status: number, body?: unknown): Promise<T> {
    const res = await request(`${gatewayUrl}${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== status)
      throw new Error(`${method} ${route}: expected ${status}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }
  async function server(serverId: string) {
    const { servers } = await call<{ servers: ListedServer[] }>('GET', '/api/servers', 200);
    return servers.find((s) => s.server_id === serverId);
  }
  const health = async (serverId: string) => (await server(serverId))?.health;
  await waitFor(async () => (await health(ISLAND)) === 'passing', {
    what: 'the island passing',
    timeout: 30_000,
  });

  const tanks: Lookup[] = [];
  for (let i = 0; i < tankCount; i++)
    tanks.push(
      await call<Lookup>('POST', '/api/tanks', 201, {
        name: `Island ${i}`,
        seed: 2100 + i,
        initial_fish: TANK_FISH,
      }),
    );

  const client = createServerClient({
    secret: SECRET,
    resolveServer: (id) => (urls.has(id) ? { baseUrl: urls.get(id)! } : undefined),
  });
  const participants = createParticipants({ client });
  const fleet: PartitionFleet = {
    gatewayUrl,
    token,
    island,
    links,
    store,
    tanks,
    async startMainland() {
      const handle = await startTankworld({ role: 'server', id: MAINLAND, port: mainlandPort, env, cleanup });
      fleet.mainland = { id: MAINLAND, handle, url: `http://127.0.0.1:${mainlandPort}` };
      urls.set(MAINLAND, fleet.mainland.url);
      await waitFor(async () => (await health(MAINLAND)) === 'passing', {
        what: 'the mainland passing',
        timeout: 30_000,
      });
      return fleet.mainland;
    },
    call,
    async lookup(tankId) {
      const res = await request(`${gatewayUrl}/gateway/tanks/${tankId}`, { headers });
      return res.status === 200 ? ((await res.json()) as Lookup) : undefined;
    },
    health,
    server,
    async census(serverId) {
      const census = await participants.census(serverId);
      return new Map(census.tanks.map((t) => [t.tank_id, t.uids]));
    },
    async audit() {
      const listed = (await listServers(store.db)).filter((s) => s.status !== 'offline');
      return runAudit({ db: store.db, participants, serverIds: listed.map((s) => s.serverId) });
    },
  };
  return fleet;
}
