/**
 * @module
 * The simulated tank servers of `bench fleet`, in a process of their own so the bench's
 * gateway-side figures (CPU per watch round) are the gateway's alone. Each server is a
 * `createConsulDiscovery` registration (service + TTL check) on a Consul client agent, passing
 * its TTL on its own timer with a load output that changes every beat, as a live server's does
 * (an unchanged output would not reach the catalog, which would hide the real cost).
 * Commands arrive over IPC (`fleet-protocol.ts`).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { createConsulDiscovery, type Discovery } from '../../src/discovery/index.ts';
import {
  type DriverCommand,
  type DriverReply,
  type DriverResult,
  type EpochMs,
  epochNow,
} from './fleet-protocol.ts';

/**
 * At most this many calls in flight, over all agents: each agent takes them one at a time
 * anyway, and an unbounded burst would only queue sockets.
 */
const IN_FLIGHT = 128;

interface SimServer {
  id: string;
  index: number;
  discovery: Discovery;
  silenced: boolean;
  beats: number;
  lastSentAt: EpochMs;
  /** Told the send time of the next pass (a resume waits for it). */
  onNextPass?: (sentAt: EpochMs) => void;
  /** Settles when the pass in flight does. */
  inFlight: Promise<unknown>;
}

let servers: SimServer[] = [];
let rateMs = 2000;
let generation = 0;
let inFlight = 0;
const waiting: Array<() => void> = [];
const counters = { passes: 0, failed: 0, reasons: new Map<string, number>(), trips: [] as number[] };
let cpuMark = process.cpuUsage();

async function limited<T>(job: () => Promise<T>): Promise<T> {
  while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight++;
  try {
    return await job();
  } finally {
    inFlight--;
    waiting.shift()?.();
  }
}

async function beat(s: SimServer): Promise<void> {
  const queued = performance.now();
  s.beats++;
  await limited(async () => {
    s.lastSentAt = epochNow();
    s.onNextPass?.(s.lastSentAt);
    s.onNextPass = undefined;
    await s.discovery.passTtl({
      tank_count: s.index % 7,
      cpu_percent: (s.index * 13 + s.beats) % 90,
      memory_mb: 140 + (s.index % 50),
      ws_connections: (s.index + s.beats) % 40,
      ticks_behind: 0,
    });
  }).then(
    () => {
      counters.passes++;
      counters.trips.push(performance.now() - queued);
    },
    (err: Error) => {
      counters.failed++;
      const why = err.message.replace(/\d+/g, 'N').slice(0, 120);
      counters.reasons.set(why, (counters.reasons.get(why) ?? 0) + 1);
    },
  );
}

/** One server's heartbeat loop, until a reset starts a new generation. */
async function run(s: SimServer, gen: number): Promise<void> {
  while (gen === generation) {
    const began = performance.now();
    if (!s.silenced) {
      s.inFlight = beat(s);
      await s.inFlight;
    }
    await delay(Math.max(0, rateMs - (performance.now() - began)));
  }
}

async function grow(to: number, agents: string[], ttl: string): Promise<DriverResult> {
  const jobs = [];
  for (let index = servers.length; index < to; index++) {
    const id = `sim-${index}`;
    const port = 40_000 + index;
    const discovery = createConsulDiscovery({
      consulAddr: agents[index % agents.length],
      ttl,
      deregisterCriticalAfter: '1m',
    });
    const s: SimServer = {
      id,
      index,
      discovery,
      silenced: false,
      beats: 0,
      lastSentAt: 0,
      inFlight: Promise.resolve(),
    };
    servers.push(s);
    const registered = limited(() =>
      discovery.register({
        serverId: id,
        address: '127.0.0.1',
        port,
        region: 'bench',
        zone: `bench-${index % 3}`,
        version: '2.0.0',
        capabilities: [],
        publicUrl: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}/ws`,
        startedAt: new Date().toISOString(),
      }),
    );
    // Heartbeating from its registration on, as a server does (not once the whole step is in).
    jobs.push(registered.then(() => void run(s, generation)));
  }
  await Promise.all(jobs);
  return { op: 'grow', registered: servers.length };
}

async function silence(ids: string[]): Promise<DriverResult> {
  const chosen = servers.filter((s) => ids.includes(s.id));
  for (const s of chosen) s.silenced = true;
  await Promise.all(chosen.map((s) => s.inFlight));
  return { op: 'silence', lastSentAt: Object.fromEntries(chosen.map((s) => [s.id, s.lastSentAt])) };
}

async function resume(ids: string[]): Promise<DriverResult> {
  const chosen = servers.filter((s) => ids.includes(s.id));
  const sent = chosen.map(
    (s) =>
      new Promise<[string, EpochMs]>((resolve) => {
        s.onNextPass = (at) => resolve([s.id, at]);
        s.silenced = false;
      }),
  );
  return { op: 'resume', sentAt: Object.fromEntries(await Promise.all(sent)) };
}

function stats(): DriverResult {
  const cpu = process.cpuUsage(cpuMark);
  cpuMark = process.cpuUsage();
  const trips = counters.trips.sort((a, b) => a - b);
  const at = (q: number) => trips[Math.min(trips.length - 1, Math.floor(q * trips.length))] ?? 0;
  const result: DriverResult = {
    op: 'stats',
    stats: {
      passes: counters.passes,
      failed: counters.failed,
      reasons: Object.fromEntries(counters.reasons),
      cpuMs: (cpu.user + cpu.system) / 1000,
      passP50Ms: at(0.5),
      passP99Ms: at(0.99),
    },
  };
  Object.assign(counters, { passes: 0, failed: 0, reasons: new Map(), trips: [] });
  return result;
}

async function reset(): Promise<DriverResult> {
  generation++;
  const old = servers;
  servers = [];
  await Promise.all(old.map((s) => s.inFlight));
  await Promise.all(old.map((s) => limited(() => s.discovery.close())));
  return { op: 'reset' };
}

async function handle(cmd: DriverCommand): Promise<DriverResult> {
  switch (cmd.op) {
    case 'grow':
      return grow(cmd.to, cmd.agents, cmd.ttl);
    case 'rate':
      rateMs = cmd.ms;
      return { op: 'rate' };
    case 'silence':
      return silence(cmd.ids);
    case 'resume':
      return resume(cmd.ids);
    case 'stats':
      return stats();
    case 'reset':
      return reset();
  }
}

process.on('message', (cmd: DriverCommand) => {
  handle(cmd).then(
    (result) => process.send?.({ seq: cmd.seq, ok: true, result } satisfies DriverReply),
    (err: Error) => process.send?.({ seq: cmd.seq, ok: false, error: err.message } satisfies DriverReply),
  );
});
process.on('disconnect', () => process.exit(0));
