/**
 * @module
 * A Consul dev agent (server + client in one, in-memory state) on loopback, with every
 * listener on a free port so several agents and other engineers' agents can share a host.
 * Ready when it knows its leader. With `acl`, default-deny ACLs are on and the agent has a node
 * token of its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { aclAgentConfig, setAgentToken } from './acl.ts';
import { resolveBinaries } from './binaries.ts';
import { type MeshLogger, silentLogger } from './logger.ts';
import { freePorts } from './ports.ts';
import { consulHasLeader } from './probes.ts';
import { spawnLogged } from './process.ts';
import { createRunDir } from './run-dir.ts';
import { retryOnPortClash, type ServiceControl, startService, withControls } from './service.ts';

/** The six listeners of a dev agent. */
export interface ConsulPorts {
  http: number;
  grpc: number;
  dns: number;
  serfLan: number;
  serfWan: number;
  server: number;
}

export interface ConsulOptions {
  /** Folder for the agent's log. Default: a temp dir, removed on `stop()`. */
  dataDir?: string;
  /** Any port not given is a free one. */
  ports?: Partial<ConsulPorts>;
  /** Node name. Default: `tw-<random>`, unique per host. */
  nodeName?: string;
  /** Default: the pinned build in the per-user cache (`scripts/install-consul.sh`). */
  bin?: string;
  startTimeout?: number;
  log?: MeshLogger;
  /**
   * Turn ACLs on, default deny, with this (UUID) as the operator's `initial_management` token.
   * Default: ACLs off, as a plain dev agent (the test harness's).
   */
  acl?: { managementToken: string };
}

/** A running Consul dev agent; see {@link startConsul}. */
export interface ConsulHandle extends ServiceControl {
  /** `127.0.0.1:<http port>`, the form `CONSUL_HTTP_ADDR` takes. */
  readonly httpAddr: string;
  /** `127.0.0.1:<grpc port>` (plaintext xDS for Envoy), the form `CONSUL_GRPC_ADDR` takes. */
  readonly grpcAddr: string;
  /** `http://127.0.0.1:<http port>`; the UI is at `/ui/`. */
  readonly url: string;
  readonly ports: ConsulPorts;
  readonly logFile: string;
  /** The operator token when ACLs are on (`acl`); `undefined` on an agent without ACLs. */
  readonly managementToken: string | undefined;
}

/**
 * Starts `consul agent -dev` on loopback with the UI on and resolves once it has a leader.
 * A dev agent keeps no state: after `restart()` it is a fresh agent on the same ports that has
 * forgotten every service and check, which is the "agent restarted" fault tests want.
 *
 * @example
 * ```ts
 * const consul = await startConsul();
 * process.env.CONSUL_HTTP_ADDR = consul.httpAddr;
 * await consul.restart(); // services must re-register
 * await consul.stop();
 * ```
 */
export async function startConsul({
  dataDir,
  ports = {},
  nodeName,
  bin = resolveBinaries().consul,
  startTimeout = 60_000,
  log = silentLogger,
  acl,
}: ConsulOptions = {}): Promise<ConsulHandle> {
  const aclHcl = acl ? aclAgentConfig(acl.managementToken) : undefined;
  const token = acl?.managementToken;
  const runDir = dataDir ? undefined : await createRunDir({ name: 'consul' });
  const dir = dataDir ?? runDir!.path;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const logFile = join(dir, 'consul.log');
  // Unique, so the readiness probe can tell this agent from another on a port we also picked.
  const node = nodeName ?? `tw-${randomBytes(4).toString('hex')}`;
  const fixedPorts = Object.values(ports).some((port) => port !== undefined);
  try {
    return await retryOnPortClash(fixedPorts, async () => {
      const chosen = await choosePorts(ports);
      const httpAddr = `127.0.0.1:${chosen.http}`;
      const control = await startService({
        name: 'consul',
        spawn: () =>
          spawnLogged({
            name: 'consul',
            command: bin,
            args: [...agentArgs(node, chosen), ...(aclHcl ? ['-hcl', aclHcl] : [])],
            logFile,
            cwd: dir,
            missingHint: 'build it with scripts/install-consul.sh (needs Go, ~7 minutes) or pass bin',
          }),
        ready: async () => {
          if (!(await consulHasLeader(httpAddr, { nodeName: node, token }))) return false;
          if (token === undefined) return true;
          // The leader makes the operator token just after its election (until then this throws
          // and is tried again); the agent gets its node token (a dev agent forgets it on
          // restart, so this runs on every start).
          await setAgentToken({ consulUrl: `http://${httpAddr}`, operatorToken: token, nodeName: node });
          return true;
        },
        // SIGINT is the agent's ordinary shutdown (what Ctrl-C sends).
        stopSignal: 'SIGINT',
        startTimeout,
        log,
        details: { httpAddr },
        onStopped: async () => runDir?.remove(),
      });
      return withControls(control, {
        httpAddr,
        grpcAddr: `127.0.0.1:${chosen.grpc}`,
        url: `http://${httpAddr}`,
        ports: chosen,
        logFile,
        managementToken: token,
      });
    });
  } catch (err) {
    await runDir?.remove();
    throw err;
  }
}

/** The given ports, and free ones for the rest. */
async function choosePorts(given: Partial<ConsulPorts>): Promise<ConsulPorts> {
  const [http, grpc, server] = await freePorts(3);
  // DNS and Serf listen on UDP as well as TCP.
  const [dns, serfLan, serfWan] = await freePorts(3, { udp: true });
  return {
    http: given.http ?? http!,
    grpc: given.grpc ?? grpc!,
    dns: given.dns ?? dns!,
    serfLan: given.serfLan ?? serfLan!,
    serfWan: given.serfWan ?? serfWan!,
    server: given.server ?? server!,
  };
}

function agentArgs(node: string, ports: ConsulPorts): string[] {
  return [
    'agent',
    '-dev',
    '-ui',
    '-client',
    '127.0.0.1',
    '-bind',
    '127.0.0.1',
    '-node',
    node,
    '-http-port',
    String(ports.http),
    '-grpc-port',
    String(ports.grpc),
    '-dns-port',
    String(ports.dns),
    '-serf-lan-port',
    String(ports.serfLan),
    '-serf-wan-port',
    String(ports.serfWan),
    '-server-port',
    String(ports.server),
    // -dev also opens gRPC-TLS on the fixed port 8503, which a second agent on the host would
    // collide on; Envoy here talks plaintext gRPC, so turn it off.
    '-hcl',
    'ports { grpc_tls = -1 }',
    // A heartbeat whose output (the server's load) changes but not its status would otherwise
    // reach the catalog, the UI and health queries only every 5 minutes.
    '-hcl',
    'check_update_interval = "0s"',
  ];
}
