/**
 * @module
 * The bench's handle on the simulated tank servers: forks `fleet-driver-child.ts` and turns its
 * IPC commands into awaited calls.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverCommand, DriverReply, DriverResult, DriverStats, EpochMs } from './fleet-protocol.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fleet-driver-child.ts');

type Without<T> = T extends unknown ? Omit<T, 'seq'> : never;

export interface FleetDriver {
  readonly pid: number;
  /** Registers `sim-0` … `sim-<to - 1>` (those not yet registered), spread over `agents`. */
  grow(to: number, agents: string[], ttl: string): Promise<number>;
  setRate(ms: number): Promise<void>;
  /** Stops these servers' heartbeats; each one's last pass was sent at the time returned. */
  silence(ids: string[]): Promise<Record<string, EpochMs>>;
  /** Starts their heartbeats again; each one's first pass back was sent at the time returned. */
  resume(ids: string[]): Promise<Record<string, EpochMs>>;
  /** Counters since the last call. */
  stats(): Promise<DriverStats>;
  /** Deregisters every simulated server. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const driver = await startFleetDriver();
 * await driver.setRate(2000);
 * await driver.grow(100, [cluster.clients[0]!.httpAddr], '6s');
 * ```
 */
export async function startFleetDriver(): Promise<FleetDriver> {
  const child: ChildProcess = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pending = new Map<number, { resolve: (r: DriverResult) => void; reject: (e: Error) => void }>();
  let seq = 0;
  child.on('message', (reply: DriverReply) => {
    const waiter = pending.get(reply.seq);
    pending.delete(reply.seq);
    if (reply.ok) waiter?.resolve(reply.result);
    else waiter?.reject(new Error(`fleet driver: ${reply.error}`));
  });
  child.once('exit', (code, signal) => {
    for (const waiter of pending.values())
      waiter.reject(new Error(`fleet driver exited (${code ?? signal})`));
    pending.clear();
  });

  function call<Op extends DriverCommand['op']>(
    command: Without<Extract<DriverCommand, { op: Op }>>,
  ): Promise<Extract<DriverResult, { op: Op }>> {
    const id = ++seq;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (r: DriverResult) => void, reject });
      child.send({ ...command, seq: id });
    });
  }

  return {
    pid: child.pid!,
    grow: async (to, agents, ttl) => (await call<'grow'>({ op: 'grow', to, agents, ttl })).registered,
    setRate: async (ms) => {
      await call<'rate'>({ op: 'rate', ms });
    },
    silence: async (ids) => (await call<'silence'>({ op: 'silence', ids })).lastSentAt,
    resume: async (ids) => (await call<'resume'>({ op: 'resume', ids })).sentAt,
    stats: async () => (await call<'stats'>({ op: 'stats' })).stats,
    reset: async () => {
      await call<'reset'>({ op: 'reset' });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await gone;
    },
  };
}
