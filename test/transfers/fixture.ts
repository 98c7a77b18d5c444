/**
 * @module
 * In-process transfer rigs: tank servers (real HTTP on free ports) and a coordinator on one
 * harness PostgreSQL database, with helpers to create tanks, read their fish and run the audit.
 */
import { randomUUID } from 'node:crypto';
import { createInternalVerifier, createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import {
  type Coordinator,
  createCoordinator,
  createParticipants,
  type Participants,
} from '../../src/coordinator/index.ts';
import { createLocalDiscovery, createLocalRegistry } from '../../src/discovery/index.ts';
import type { CrashPoint } from '../../src/fault/index.ts';
import { createRecovery, runAudit } from '../../src/gateway/transfers/index.ts';
import { createRealtime, type Realtime } from '../../src/realtime/index.ts';
import { createTankServer, type TankServer } from '../../src/server/index.ts';
import { createServerClient } from '../../src/server-client/index.ts';
import { createStore, createTransfer, type Store } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import type { Cleanup } from '../support/index.ts';

export const SECRET = 'transfer-test-secret-0123456789';

export interface Rig {
  store: Store;
  realtime: Realtime;
  servers: Map<string, TankServer>;
  coordinator: Coordinator;
  participants: Participants;
  recovery: ReturnType<typeof createRecovery>;
  token: string;
  /** Starts (or restarts) a tank server with this id (snapshots every 200 ms by default). */
  startServer(id: string, options?: { crash?: CrashPoint; snapshotIntervalMs?: number }): Promise<TankServer>;
  /** Creates a paused tank (a stable population) on a server; returns its id. */
  createTank(serverId: string, options?: { fish?: number; maxFish?: number }): Promise<string>;
  /** Uids of the fish in a tank now. */
  uids(tankId: string): string[];
  /** Local ids of the fish in a tank. */
  ids(tankId: string): number[];
  audit(): ReturnType<typeof runAudit>;
  /** The server running the tank now. */
  serverOf(tankId: string): TankServer;
  /** A transfer through the rig's coordinator, as `alice` (`key`: an idempotency key). */
  submit(source: string, dest: string, entityId: number, key?: string): ReturnType<Coordinator['submit']>;
  /** `POST /api/tanks/{id}{path}` on the tank's server as `alice`, with a JSON body if given. */
  post(tankId: string, path: string, body?: unknown): Promise<Response>;
  /**
   * Logs a transfer as the coordinator does first (`initiated`) and asks nobody: a test then
   * drives its steps itself, as a coordinator that died would have left them. Answers its id.
   */
  logTransfer(source: string, dest: string, entityId: number): Promise<string>;
  /** Takes a snapshot of the tank now; answers its id. */
  takeSnapshot(tankId: string): Promise<string>;
  /** An admin's restore of the tank to one of its snapshots. */
  restore(tankId: string, snapshotId: string): Promise<void>;
}

export async function startRig({
  cleanup,
  databaseUrl,
  crash = () => {},
}: {
  cleanup: Cleanup;
  databaseUrl: string;
  crash?: CrashPoint;
}): Promise<Rig> {
  const logger = createLogger({ level: 'warn' });
  const store = cleanup.add(createStore({ databaseUrl, logger }));
  await store.migrate();
  const realtime = cleanup.add(await createRealtime({}));
  const registry = createLocalRegistry();
  const servers = new Map<string, TankServer>();
  const client = createServerClient({
    secret: SECRET,
    resolveServer: (id) => {
      const s = servers.get(id);
      return s ? { baseUrl: s.url } : undefined;
    },
    timeoutMs: 5000,
  });
  const participants = createParticipants({ client, timeoutMs: 5000 });
  const coordinator = createCoordinator({ db: store.db, participants, realtime, logger, crash });
  const recovery = createRecovery({ db: store.db, coordinator, logger, intervalMs: 60_000 });
  cleanup.add(() => recovery.stop());
  const token = await mintToken({ secret: SECRET, userId: 'alice' });

  async function startServer(
    id: string,
    options: { crash?: CrashPoint; snapshotIntervalMs?: number } = {},
  ): Promise<TankServer> {
    const server = createTankServer({
      serverId: id,
      db: store.db,
      // The TTL outlasts three of the minute-long heartbeats: no server goes critical mid-file.
      discovery: createLocalDiscovery({ registry, logger, ttl: '180s' }),
      realtime,
      verifier: createTokenVerifier({ secret: SECRET }),
      internalVerifier: createInternalVerifier({ secret: SECRET }),
      logger,
      snapshotIntervalMs: options.snapshotIntervalMs ?? 200,
      heartbeatMs: 60_000,
      crash: options.crash,
    });
    await server.start();
    servers.set(id, server);
    cleanup.add(() => server.stop());
    return server;
  }

  async function createTank(
    serverId: string,
    { fish = 5, maxFish }: { fish?: number; maxFish?: number } = {},
  ) {
    const server = servers.get(serverId)!;
    const res = await server.fetch(
      new Request(`${server.url}/api/tanks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `t-${serverId}`, seed: 7, initial_fish: fish }),
      }),
    );
    if (res.status !== 201) throw new Error(`create tank: ${res.status} ${await res.text()}`);
    const tankId = ((await res.json()) as { tank: { tank_id: string } }).tank.tank_id;
    const tank = server.host.get(tankId)!;
    tank.pause();
    if (maxFish !== undefined) (tank.world as { maxFish: number }).maxFish = maxFish;
    return tankId;
  }

  const tankOf = (tankId: string) => {
    for (const s of servers.values()) {
      const t = s.host.get(tankId);
      if (t) return t;
    }
    throw new Error(`no tank ${tankId}`);
  };

  const serverOf = (tankId: string) => {
    for (const s of servers.values()) if (s.host.get(tankId)) return s;
    throw new Error(`no server runs tank ${tankId}`);
  };

  const post: Rig['post'] = async (tankId, path, body) => {
    const server = serverOf(tankId);
    return await server.fetch(
      new Request(`${server.url}/api/tanks/${tankId}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  };

  /** The answer's JSON when its status is `status`, else an error with the answer. */
  async function expectStatus<T>(res: Response, status: number): Promise<T> {
    if (res.status !== status) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  return {
    store,
    realtime,
    servers,
    coordinator,
    participants,
    recovery,
    token,
    startServer,
    createTank,
    uids: (tankId) => tankOf(tankId).world.fish.uid.slice(0, tankOf(tankId).world.fish.count),
    ids: (tankId) => [...tankOf(tankId).world.fish.id.subarray(0, tankOf(tankId).world.fish.count)],
    audit: () => runAudit({ db: store.db, participants, serverIds: [...servers.keys()] }),
    serverOf,
    submit: (source, dest, entityId, key) =>
      coordinator.submit({
        request: { source_tank_id: source, dest_tank_id: dest, entity_id: entityId, entity_type: 'fish' },
        key,
        requestedBy: 'alice',
        sourceServer: serverOf(source).serverId,
        destServer: serverOf(dest).serverId,
      }),
    post,
    logTransfer: async (source, dest, entityId) => {
      const { transfer } = await createTransfer(store.db, {
        idempotencyKey: randomUUID(),
        requestedBy: 'alice',
        requestHash: 'test',
        sourceTankId: source,
        destTankId: dest,
        sourceServer: serverOf(source).serverId,
        destServer: serverOf(dest).serverId,
        entityId,
      });
      return transfer.transferId;
    },
    takeSnapshot: async (tankId) =>
      (await expectStatus<{ snapshot_id: string }>(await post(tankId, '/snapshots'), 201)).snapshot_id,
    restore: async (tankId, snapshotId) => {
      await expectStatus(await post(tankId, `/snapshots/${snapshotId}/restore`), 200);
    },
  };
}

/**
 * Two servers (`server-1`, `server-2`) whose snapshotter stays idle unless asked, so the
 * snapshots are exactly the ones a test takes, and a coordinator that "dies" (throws) once at
 * each point added to `armed`, leaving its transfer in flight.
 *
 * @example
 * ```ts
 * const { rig, armed } = await startQuietRig({ cleanup, databaseUrl });
 * armed.add('after_dest_commit');
 * ```
 */
export async function startQuietRig({
  cleanup,
  databaseUrl,
}: {
  cleanup: Cleanup;
  databaseUrl: string;
}): Promise<{ rig: Rig; armed: Set<string> }> {
  const armed = new Set<string>();
  const rig = await startRig({
    cleanup,
    databaseUrl,
    crash: (point) => {
      if (armed.delete(point)) throw new Error(`coordinator died at ${point}`);
    },
  });
  await rig.startServer('server-1', { snapshotIntervalMs: 600_000 });
  await rig.startServer('server-2', { snapshotIntervalMs: 600_000 });
  return { rig, armed };
}
