/**
 * @module
 * One run of the tracing bench's workload in its own process (OpenTelemetry's tracer provider is
 * process-global, so tracing on and off cannot share one): a gateway and two tank servers on
 * PostgreSQL (DATABASE_URL), tracing started as `tankworld` processes start it (exporting to
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT when set, spans kept in-process otherwise), then cross-server
 * transfers one at a time through `POST /gateway/transfer`, then `GET /gateway/tanks/{id}` under
 * autocannon from a separate process. Prints one JSON line of figures. Started by
 * bench/tracing.ts; not a bench of its own.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { mintToken } from '../../src/auth/index.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createStore } from '../../src/store/index.ts';
import { createLogger, startTracing } from '../../src/telemetry/index.ts';
import { startLocalFleet } from './local-fleet.ts';

/** What one run prints, read by bench/tracing.ts. */
export interface TracingRunResult {
  transfers: number;
  transferP50: number;
  transferP95: number;
  /** User + system CPU of this process per transfer, ms. */
  transferCpuMs: number;
  lookupRps: number;
  lookupP99: number;
  lookupTotal: number;
  /** User + system CPU of this process (gateway and servers) per 1000 lookups, ms. */
  lookupCpuMs: number;
  /** The same at a fixed rate (TRACING_BENCH_RATE req/s): equal work in every mode. */
  fixedRateCpuMs: number;
  /** CPU of Zipkin's JVM (TRACING_BENCH_ZIPKIN_PID) per 1000 lookups at that fixed rate, ms. */
  fixedRateZipkinCpuMs: number;
}

const TRANSFERS = Number(process.env.TRACING_BENCH_TRANSFERS ?? 300);
const SECONDS = Number(process.env.TRACING_BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.TRACING_BENCH_CONNECTIONS ?? 50);
/**
 * A second lookup phase at this many req/s, below what the machine serves even when loaded:
 * at saturation CPU per lookup also moves with the throughput (fewer requests per turn of the
 * event loop share its fixed costs), at a fixed rate both modes do the same work.
 */
const RATE = Number(process.env.TRACING_BENCH_RATE ?? 1500);
const ZIPKIN_PID = process.env.TRACING_BENCH_ZIPKIN_PID;
const TANKS = 40;
const SECRET = 'bench-tracing-secret-0123456789';
const run = promisify(execFile);

const tracing = await startTracing({
  serviceName: 'tank-bench',
  zipkinEndpoint: process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT,
  otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const logger = createLogger({ level: 'warn' });
const store = createStore({ databaseUrl: process.env.DATABASE_URL!, logger });
await store.migrate();
const realtime = await createRealtime({});
const { gateway, servers, stop } = await startLocalFleet({
  db: store.db,
  realtime,
  logger,
  secret: SECRET,
  serverIds: ['server-1', 'server-2'],
  heartbeatMs: 1000,
});
const token = await mintToken({ secret: SECRET, userId: 'bench' });
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

/** Tanks made through the gateway (placement spreads them), paused, grouped by their server. */
const ids: string[] = [];
const byServer = new Map<string, string[]>();
for (let i = 0; i < TANKS; i++) {
  const res = await fetch(`${gateway.url}/api/tanks`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: `trace-${i}`, seed: i, initial_fish: 20 }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${text}`);
  const body = JSON.parse(text) as { tank: { tank_id: string }; server: { server_id: string } };
  servers.get(body.server.server_id)!.host.get(body.tank.tank_id)!.pause();
  ids.push(body.tank.tank_id);
  byServer.set(body.server.server_id, [...(byServer.get(body.server.server_id) ?? []), body.tank.tank_id]);
}
const [a, b] = [byServer.get('server-1')?.[0], byServer.get('server-2')?.[0]];
if (!a || !b) throw new Error(`placement put no tank on one server: ${JSON.stringify([...byServer])}`);
const ends = [
  { tank: a, server: servers.get('server-1')! },
  { tank: b, server: servers.get('server-2')! },
];

/** One transfer through the gateway of the first fish of the fuller tank; returns ms. */
async function transferOnce(): Promise<number> {
  const count = (e: (typeof ends)[number]) => e.server.host.get(e.tank)!.world.fish.count;
  const [from, to] = count(ends[0]!) >= count(ends[1]!) ? [ends[0]!, ends[1]!] : [ends[1]!, ends[0]!];
  const began = performance.now();
  const res = await fetch(`${gateway.url}/gateway/transfer`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      source_tank_id: from.tank,
      dest_tank_id: to.tank,
      entity_id: from.server.host.get(from.tank)!.world.fish.id[0]!,
      entity_type: 'fish',
    }),
  });
  const text = await res.text();
  const ms = performance.now() - began;
  if (res.status !== 200) throw new Error(`transfer failed: ${res.status} ${text}`);
  return ms;
}

// Same load generator as bench/gateway.ts: its own process, off the gateway's event loop.
const loadScript = `
import autocannon from 'autocannon';
const { url, token, ids, connections, duration, rate } = JSON.parse(process.argv[1]);
const result = await autocannon({
  url, connections, duration, pipelining: 1, ...(rate ? { overallRate: rate } : {}),
  headers: { authorization: 'Bearer ' + token },
  requests: ids.map((id) => ({ method: 'GET', path: '/gateway/tanks/' + id })),
});
process.stdout.write(JSON.stringify({
  rps: result.requests.average, total: result.requests.total, non2xx: result.non2xx,
  errors: result.errors, p99: result.latency.p99,
}));
`;
async function lookupLoad(duration: number, rate?: number) {
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      loadScript,
      JSON.stringify({ url: gateway.url, token, ids, connections: CONNECTIONS, duration, rate }),
    ],
    { cwd: new URL('../..', import.meta.url).pathname, maxBuffer: 1 << 20 },
  );
  const out = JSON.parse(stdout) as {
    rps: number;
    total: number;
    non2xx: number;
    errors: number;
    p99: number;
  };
  if (out.non2xx > 0 || out.errors > 0) throw new Error(`lookups failed: ${stdout}`);
  return out;
}

// TRANSFERS=0 (the bench's lookup-only mode) measures the lookups alone.
if (TRANSFERS > 0) for (let i = 0; i < 30; i++) await transferOnce(); // warm-up: JIT, pools, the exporter's first batch
const samples: number[] = [];
const cpu = process.cpuUsage();
for (let i = 0; i < TRANSFERS; i++) samples.push(await transferOnce());
const used = process.cpuUsage(cpu);
samples.sort((x, y) => x - y);
const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? 0;

await lookupLoad(2); // warm-up
const lookupCpu = process.cpuUsage();
const lookup = await lookupLoad(SECONDS);
const lookupUsed = process.cpuUsage(lookupCpu);

/** CPU ms Zipkin's JVM has used (utime + stime, 10 ms ticks); 0 without its pid. */
function zipkinCpuMs(): number {
  if (!ZIPKIN_PID) return 0;
  const fields = readFileSync(`/proc/${ZIPKIN_PID}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const fixedCpu = process.cpuUsage();
const zipkinBefore = zipkinCpuMs();
const fixed = await lookupLoad(SECONDS, RATE);
const fixedUsed = process.cpuUsage(fixedCpu);
const fixedZipkinMs = zipkinCpuMs() - zipkinBefore;

const result: TracingRunResult = {
  transfers: samples.length,
  transferP50: q(0.5),
  transferP95: q(0.95),
  transferCpuMs: samples.length > 0 ? (used.user + used.system) / 1000 / samples.length : 0,
  lookupRps: lookup.rps,
  lookupP99: lookup.p99,
  lookupTotal: lookup.total,
  // µs per lookup is ms per 1000 lookups.
  lookupCpuMs: (lookupUsed.user + lookupUsed.system) / lookup.total,
  fixedRateCpuMs: (fixedUsed.user + fixedUsed.system) / fixed.total,
  fixedRateZipkinCpuMs: (fixedZipkinMs / fixed.total) * 1000,
};
await stop();
await realtime.close();
await store.close();
await tracing.shutdown(); // flushes the last batch to Zipkin
process.stdout.write(`${JSON.stringify(result)}\n`);
