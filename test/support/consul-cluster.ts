/**
 * @module
 * A real Consul cluster on loopback: three (or `servers`) server agents that elect a leader
 * among themselves through Raft, and client agents joined to them, each agent its own process
 * with its own data dir and ports — what a fleet past one machine runs, where `startConsul`
 * gives one `-dev` agent. Built from the `src/mesh` pieces (`startProgram`, `freePorts`, the
 * pinned binary), so kill and restart work as for every other service; a restarted server keeps
 * its data dir and rejoins. Imports nothing from vitest, so the benches use it too.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  createRunDir,
  freePorts,
  type MeshLogger,
  type ProgramHandle,
  resolveBinaries,
  startProgram,
  waitFor,
} from '../../src/mesh/index.ts';
import type { Cleanup } from './cleanup.ts';

export interface ClusterAgentPorts {
  http: number;
  serfLan: number;
  serfWan: number;
  /** Raft and server RPC; the leader is named by `127.0.0.1:<server>`. */
  server: number;
}

/** One agent of the cluster; `kill`, `restart`, `pid` are its process's. */
export interface ClusterAgent extends ProgramHandle {
  readonly role: 'server' | 'client';
  readonly nodeName: string;
  /** `127.0.0.1:<http port>`, the form `CONSUL_HTTP_ADDR` takes. */
  readonly httpAddr: string;
  readonly ports: ClusterAgentPorts;
  readonly dataDir: string;
}

export interface ConsulClusterOptions {
  /** Server agents (Raft voters); 3 tolerates the loss of one. */
  servers?: number;
  /** Client agents joined to the servers: where services register, as on each host of a fleet. */
  clients?: number;
  /** Default: the pinned build (`TANKWORLD_CONSUL_BIN`, else the per-user cache). */
  bin?: string;
  /**
   * Raft timing: 1 is Consul's production recommendation (a lost leader is replaced in a few
   * seconds); the default of a non-dev agent is 5.
   */
  raftMultiplier?: number;
  startTimeout?: number;
  log?: MeshLogger;
  cleanup?: Cleanup;
}

export interface ConsulCluster {
  readonly servers: readonly ClusterAgent[];
  readonly clients: readonly ClusterAgent[];
  /** The server agent that leads now, as a running agent sees it; `undefined` during an election. */
  leader(): Promise<ClusterAgent | undefined>;
  /**
   * Waits until every running agent names the same running server as leader and the leader
   * counts `voters` healthy voters (default: the servers now running); returns the leader.
   */
  settled(options?: { voters?: number; timeout?: number }): Promise<ClusterAgent>;
  /** Stops every agent and removes the data dirs. */
  stop(): Promise<void>;
}

const CLIENT_NODE_TIMEOUT_MS = 60_000;

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

function agentArgs(agent: {
  role: 'server' | 'client';
  nodeName: string;
  dataDir: string;
  ports: ClusterAgentPorts;
}) {
  const { ports } = agent;
  return [
    'agent',
    ...(agent.role === 'server' ? ['-server'] : []),
    '-node',
    agent.nodeName,
    '-data-dir',
    agent.dataDir,
    '-bind',
    '127.0.0.1',
    '-client',
    '127.0.0.1',
    '-http-port',
    String(ports.http),
    '-serf-lan-port',
    String(ports.serfLan),
    '-serf-wan-port',
    String(ports.serfWan),
    '-server-port',
    String(ports.server),
    '-log-level',
    'warn',
    // DNS and gRPC default to fixed ports (8600, 8503) that agents on one host would collide on.
    '-hcl',
    'ports { dns = -1, grpc = -1, grpc_tls = -1 }',
    // Several agents on one host must not derive the same node id from it.
    '-hcl',
    'disable_host_node_id = true',
    // As the mesh's agents: a heartbeat's output (the load) reaches the catalog at once.
    '-hcl',
    'check_update_interval = "0s"',
    // The agent refuses a 201st connection from one address; a fleet's servers each have their
    // own, while here every simulated server and reader shares 127.0.0.1.
    '-hcl',
    'limits { http_max_conns_per_client = 4096 }',
  ];
}

/**
 * Starts the servers (they bootstrap once all have joined), waits for a leader, then the clients.
 *
 * @example
 * ```ts
 * const cluster = await startConsulCluster({ clients: 1, cleanup });
 * const discovery = createConsulDiscovery({ consulAddr: cluster.clients[0]!.httpAddr });
 * await (await cluster.leader())!.kill();
 * await cluster.settled();
 * ```
 */
export async function startConsulCluster({
  servers: serverCount = 3,
  clients: clientCount = 1,
  bin = resolveBinaries({ env: process.env }).consul,
  raftMultiplier = 1,
  startTimeout = 60_000,
  log,
  cleanup,
}: ConsulClusterOptions = {}): Promise<ConsulCluster> {
  // Removed on stop, on our exit, or by the next run's sweep if we are SIGKILLed.
  const root = await createRunDir({ name: 'consul-cluster' });
  const tag = randomBytes(3).toString('hex');
  const plan = async (role: 'server' | 'client', i: number) => {
    const [http, server] = await freePorts(2);
    // Serf gossips over UDP as well as TCP.
    const [serfLan, serfWan] = await freePorts(2, { udp: true });
    const nodeName = `tw-${tag}-${role}-${i + 1}`;
    const dataDir = path.join(root.path, nodeName);
    mkdirSync(dataDir);
    return {
      role,
      nodeName,
      dataDir,
      ports: { http: http!, server: server!, serfLan: serfLan!, serfWan: serfWan! },
    };
  };
  type Plan = Awaited<ReturnType<typeof plan>>;
  const serverPlans: Plan[] = [];
  for (let i = 0; i < serverCount; i++) serverPlans.push(await plan('server', i));
  const clientPlans: Plan[] = [];
  for (let i = 0; i < clientCount; i++) clientPlans.push(await plan('client', i));
  const joins = serverPlans.flatMap((p) => ['-retry-join', `127.0.0.1:${p.ports.serfLan}`]);
  const started: ClusterAgent[] = [];

  const launch = async (p: Plan, extra: string[]): Promise<ClusterAgent> => {
    const httpAddr = `127.0.0.1:${p.ports.http}`;
    const handle = await startProgram({
      name: `consul-${p.nodeName}`,
      command: bin,
      args: [...agentArgs(p), ...extra, ...joins],
      // SIGINT is the agent's ordinary shutdown.
      stopSignal: 'SIGINT',
      startTimeout,
      log,
      // This agent's HTTP API answers (another agent could hold a port we picked).
      ready: async () =>
        ((await getJson(`http://${httpAddr}/v1/agent/self`)) as { Config?: { NodeName?: string } })?.Config
          ?.NodeName === p.nodeName,
    });
    const agent = Object.defineProperties(
      { ...handle, ...p, httpAddr },
      {
        pid: { enumerable: true, get: () => handle.pid },
        running: { enumerable: true, get: () => handle.running },
      },
    ) as ClusterAgent;
    started.push(agent);
    return agent;
  };

  async function leader(): Promise<ClusterAgent | undefined> {
    for (const agent of started.filter((a) => a.running)) {
      try {
        const addr = (await getJson(`http://${agent.httpAddr}/v1/status/leader`)) as string;
        const found = serverAgents.find((s) => addr === `127.0.0.1:${s.ports.server}`);
        if (found) return found;
      } catch {
        // This agent cannot say now: ask the next.
      }
    }
    return undefined;
  }

  async function settled({ voters, timeout = 60_000 }: { voters?: number; timeout?: number } = {}) {
    return waitFor(
      async () => {
        const running = started.filter((a) => a.running);
        const named = await Promise.all(
          running.map((a) => getJson(`http://${a.httpAddr}/v1/status/leader`).catch(() => '')),
        );
        const chosen = serverAgents.find((s) => s.running && named[0] === `127.0.0.1:${s.ports.server}`);
        if (!chosen || named.some((n) => n !== named[0])) return undefined;
        const health = (await getJson(`http://${chosen.httpAddr}/v1/operator/autopilot/health`)) as {
          Servers: Array<{ Healthy: boolean; Voter: boolean }>;
        };
        const healthyVoters = health.Servers.filter((s) => s.Voter && s.Healthy).length;
        const want = voters ?? serverAgents.filter((s) => s.running).length;
        return healthyVoters >= want ? chosen : undefined;
      },
      { what: 'the Consul cluster to settle on a leader', timeout, interval: 200 },
    );
  }

  const stop = async () => {
    await Promise.all(started.map((a) => a.stop().catch(() => undefined)));
    await root.remove();
  };
  cleanup?.add(stop);
  let serverAgents: ClusterAgent[] = [];
  let clientAgents: ClusterAgent[] = [];
  try {
    serverAgents = await Promise.all(
      serverPlans.map((p) =>
        launch(p, [
          '-bootstrap-expect',
          String(serverCount),
          '-hcl',
          `performance { raft_multiplier = ${raftMultiplier} }`,
        ]),
      ),
    );
    await settled({ voters: serverCount, timeout: startTimeout });
    clientAgents = await Promise.all(clientPlans.map((p) => launch(p, [])));
    // A client serves reads and registrations once it reaches a server through the gossip pool.
    await waitFor(
      async () => {
        const members = (await getJson(`http://${serverAgents[0]!.httpAddr}/v1/catalog/nodes`)) as Array<{
          Node: string;
        }>;
        return clientPlans.every((p) => members.some((m) => m.Node === p.nodeName));
      },
      { what: 'the Consul clients in the catalog', timeout: CLIENT_NODE_TIMEOUT_MS, interval: 200 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { servers: serverAgents, clients: clientAgents, leader, settled, stop };
}
