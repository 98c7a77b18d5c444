/**
 * @module
 * The fleet view on a real 3-server Consul cluster (test/support/consul-cluster.ts): 20
 * simulated tank servers register on a client agent and heartbeat; every server agent holds
 * its own replicated copy of them; after the leader is SIGKILLed and the two left elect another,
 * the gateway's directory (through the client agent's blocking watch) still counts all 20 and
 * still learns of servers going critical and coming back. `bench fleet` measures the same at
 * 100–1,000 servers.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createConsulDiscovery, type Discovery } from '../../src/discovery/index.ts';
import { createServerDirectory } from '../../src/gateway/directory.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createStore } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { startConsulCluster, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { load, registration } from './discovery.case.ts';

const cleanup = useCleanup();
const logger = createLogger({ level: 'silent' });
const SERVERS = 20;
/** Roomy for a loaded machine: a heartbeat late by seconds must not turn a server critical. */
const TTL = '4s';
const HEARTBEAT_MS = 1000;

/** Simulated tank servers: registrations that pass their TTL until silenced. */
async function simulateServers(consulAddr: string) {
  const silenced = new Set<string>();
  const fleet = new Map<string, Discovery>();
  for (let i = 0; i < SERVERS; i++) {
    const id = `cluster-sim-${i}`;
    const d = cleanup.add(createConsulDiscovery({ consulAddr, ttl: TTL, deregisterCriticalAfter: '1m' }));
    await d.register(registration(id));
    await d.passTtl(load());
    fleet.set(id, d);
  }
  // The same output every beat: the agent then writes nothing to the servers for a pass (one
  // agent sends its changes one Raft write at a time, and this machine is shared).
  const timer = setInterval(() => {
    for (const [id, d] of fleet) if (!silenced.has(id)) d.passTtl(load()).catch(() => undefined);
  }, HEARTBEAT_MS);
  cleanup.add(() => clearInterval(timer));
  return { ids: [...fleet.keys()], silenced };
}

describe('Consul cluster', () => {
  it('should keep the gateway view whole when the leader is killed', async () => {
    const cluster = await startConsulCluster({ servers: 3, clients: 1, cleanup });
    const leader = await cluster.settled({ voters: 3 });
    expect(cluster.servers).toContain(leader);
    const client = cluster.clients[0]!;
    const { ids, silenced } = await simulateServers(client.httpAddr);

    // Replicated: each server answers from its own state (`stale`) with all 20.
    for (const server of cluster.servers) {
      await waitFor(
        async () => {
          const res = await fetch(`http://${server.httpAddr}/v1/health/service/tank-server?stale&passing`);
          return ((await res.json()) as unknown[]).length === SERVERS;
        },
        { what: `${server.nodeName} to hold the ${SERVERS} servers`, timeout: 20_000 },
      );
    }

    const database = await useDatabase({ cleanup });
    const store = cleanup.add(createStore({ databaseUrl: database.url, dataDir: 'memory://', poolSize: 2 }));
    await store.migrate();
    const directory = createServerDirectory({
      discovery: cleanup.add(createConsulDiscovery({ consulAddr: client.httpAddr })),
      db: store.db,
      realtime: cleanup.add(await createRealtime({})),
      logger,
      publishEvents: false,
    });
    await directory.start();
    cleanup.add(() => directory.stop());
    const critical = () =>
      directory
        .all()
        .filter((s) => s.status === 'critical')
        .map((s) => s.serverId);
    await waitFor(() => directory.healthy().length === SERVERS, {
      what: 'all servers healthy',
      timeout: 20_000,
    });
    const wentDown: string[] = [];
    directory.onChange(({ down }) => wentDown.push(...down));

    await leader.kill('SIGKILL');
    const next = await cluster.settled({ timeout: 30_000 });
    expect(next).not.toBe(leader);
    expect(leader.running).toBe(false);
    // The checks live on the client agent, which kept taking heartbeats through the election:
    // a view that dropped or failed anyone here would be the watch's fault.
    await delay(2000);
    expect(wentDown).toEqual([]);
    expect(directory.all()).toHaveLength(SERVERS);
    expect(directory.healthy()).toHaveLength(SERVERS);

    // The watch is live, not a frozen last view: three servers stop, exactly they turn critical.
    const stopped = [ids[2]!, ids[9]!, ids[15]!];
    for (const id of stopped) silenced.add(id);
    await waitFor(() => critical().sort().join() === [...stopped].sort().join(), {
      what: 'exactly the stopped servers critical',
      timeout: 30_000,
    });
    expect(directory.all()).toHaveLength(SERVERS);
    silenced.clear();
    await waitFor(() => directory.healthy().length === SERVERS, {
      what: 'the stopped servers back',
      timeout: 20_000,
    });
  }, 90_000);
});
