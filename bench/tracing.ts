/**
 * @module
 * The cost of tracing: the same workload (cross-server transfers one at a time through the
 * gateway, then gateway lookups under autocannon) with tracing off and on, exporting to a real
 * Zipkin started here as the mesh starts it (src/mesh/zipkin.ts, scripts/install-zipkin.sh).
 * Each run is its own process (bench/support/tracing-run.ts) since OpenTelemetry is
 * process-global; the runs interleave the modes, the order turned each round, so the neighbours' load drifts
 * over all alike, and each mode's figure is the median of its runs. Goal: < 10 % apart. Run:
 * `npm run bench tracing` (TRACING_BENCH_ROUNDS, TRACING_BENCH_TRANSFERS, TRACING_BENCH_SECONDS,
 * TRACING_BENCH_CONNECTIONS).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import { resolveBinaries, startPostgres, startZipkin } from '../src/mesh/index.ts';
import { type Row, recordBenchmark } from './support/index.ts';
import type { TracingRunResult } from './support/tracing-run.ts';

/**
 * TRACING_BENCH_LOOKUPS_ONLY=1: no transfers, only the lookups, tracing off and on (and sampled
 * when TRACING_BENCH_SAMPLE_RATIO is set), more rounds: the lookups' req/s swing with the
 * neighbours' load, so this mode repeats them and reads CPU per 1000 lookups beside req/s.
 */
const LOOKUPS_ONLY = process.env.TRACING_BENCH_LOOKUPS_ONLY === '1';
const ROUNDS = Number(process.env.TRACING_BENCH_ROUNDS ?? (LOOKUPS_ONLY ? 6 : 3));
/** TRACING_BENCH_SAMPLE_RATIO=0.1 adds a mode sampling that share of traces (a separate knob). */
const SAMPLE_RATIO = process.env.TRACING_BENCH_SAMPLE_RATIO;
/** TRACING_BENCH_CPU_PROF=dir: each run writes a V8 CPU profile there (`node --cpu-prof`). */
const CPU_PROF = process.env.TRACING_BENCH_CPU_PROF;
const run = promisify(execFile);
/**
 * `on, all detectors`: tracing on with every OpenTelemetry resource detector, as before
 * startTracing kept to the env one (the Zipkin exporter copies the resource into every span's
 * tags: host, OS and process tags made a span ~970 bytes instead of ~400). Kept as the figure
 * the fix is measured against.
 */
type Mode = 'off' | 'on' | 'on, all detectors' | 'on, sampled';
const MODES: Mode[] = [
  'off',
  'on',
  ...(LOOKUPS_ONLY ? [] : (['on, all detectors'] as const)),
  ...(SAMPLE_RATIO ? (['on, sampled'] as const) : []),
];

const binaries = resolveBinaries({ env: process.env });
const pg = await startPostgres({ binDir: binaries.postgresBinDir });
const zipkin = await startZipkin({ jar: binaries.zipkinJar, startTimeout: 120_000 });

/** One run in a fresh process on a fresh database; the load average when it began is kept. */
async function once(mode: Mode, index: number) {
  const load = os.loadavg()[0]!;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: await pg.createDatabase(`bench_tracing_${index}`),
  };
  delete env.OTEL_EXPORTER_ZIPKIN_ENDPOINT;
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete env.OTEL_NODE_RESOURCE_DETECTORS;
  delete env.OTEL_TRACES_SAMPLER;
  if (mode !== 'off') env.OTEL_EXPORTER_ZIPKIN_ENDPOINT = zipkin.spansUrl;
  if (mode === 'on, all detectors') env.OTEL_NODE_RESOURCE_DETECTORS = 'all';
  if (mode === 'on, sampled') {
    env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    env.OTEL_TRACES_SAMPLER_ARG = SAMPLE_RATIO;
  }
  if (LOOKUPS_ONLY) env.TRACING_BENCH_TRANSFERS = '0';
  env.TRACING_BENCH_ZIPKIN_PID = String(zipkin.pid);
  const profile = CPU_PROF
    ? [
        `--cpu-prof`,
        `--cpu-prof-dir=${CPU_PROF}`,
        `--cpu-prof-name=${index + 1}-${mode.replace(/\W+/g, '-')}.cpuprofile`,
      ]
    : [];
  const zipkinBefore = zipkinCpuMs();
  const { stdout } = await run(
    process.execPath,
    [...profile, new URL('./support/tracing-run.ts', import.meta.url).pathname],
    { env, maxBuffer: 1 << 20 },
  );
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as TracingRunResult;
  const zipkinMs = zipkinCpuMs() - zipkinBefore;
  console.log(
    `run ${index + 1} tracing ${mode} (load ${load.toFixed(2)}, Zipkin ${zipkinMs} ms CPU): ${JSON.stringify(result)}`,
  );
  return { mode, load, zipkinMs, result };
}

/** CPU ms Zipkin's JVM has used (utime + stime from /proc; 10 ms a tick); 0 where unreadable. */
function zipkinCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/${zipkin.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

// Each round turns the order round by one (off, on, all; on, all, off; …): no mode always runs
// first, or always after the same one.
const order: Mode[] = [];
for (let r = 0; r < ROUNDS; r++)
  for (let m = 0; m < MODES.length; m++) order.push(MODES[(r + m) % MODES.length]!);
const runs: Array<Awaited<ReturnType<typeof once>>> = [];
for (const [i, mode] of order.entries()) runs.push(await once(mode, i));

// The spans really reached Zipkin: it lists the bench's service.
const services = (await (await fetch(`${zipkin.url}/api/v2/services`)).json()) as string[];
if (!services.includes('tank-bench')) throw new Error(`Zipkin got no spans: ${JSON.stringify(services)}`);
const traces = (await (
  await fetch(
    `${zipkin.url}/api/v2/traces?serviceName=tank-bench&spanName=post%20%2Fgateway%2Ftransfer&limit=1`,
  )
).json()) as Array<Array<{ name: string }>>;
const spansPerTransfer = traces[0]?.length ?? 0;

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const figure = (mode: Mode, pick: (r: TracingRunResult) => number) =>
  median(runs.filter((r) => r.mode === mode).map((r) => pick(r.result)));
const round2 = (x: number) => Number(x.toFixed(2));
/** How much worse `on` is than `off`, in % (positive: tracing costs). */
const cost = (mode: Mode, pick: (r: TracingRunResult) => number, higherIsBetter: boolean) => {
  const off = figure('off', pick);
  const on = figure(mode, pick);
  return round2(((higherIsBetter ? off - on : on - off) / off) * 100);
};

const rows: Row[] = runs.map(({ mode, load, zipkinMs, result }, i) => ({
  run: `${i + 1}: tracing ${mode}`,
  'load avg (1 min)': round2(load),
  'transfer p50 ms': round2(result.transferP50),
  'transfer p95 ms': round2(result.transferP95),
  'CPU ms/transfer': round2(result.transferCpuMs),
  'lookup req/s': Math.round(result.lookupRps),
  'lookup p99 ms': result.lookupP99,
  'CPU ms/1000 lookups': round2(result.lookupCpuMs),
  'fixed rate: CPU ms/1000 lookups': round2(result.fixedRateCpuMs),
  'fixed rate: Zipkin CPU ms/1000': round2(result.fixedRateZipkinCpuMs),
  'Zipkin CPU s': round2(zipkinMs / 1000),
}));
for (const mode of MODES)
  rows.push({
    run: `median, tracing ${mode}`,
    'load avg (1 min)': round2(median(runs.filter((r) => r.mode === mode).map((r) => r.load))),
    'transfer p50 ms': round2(figure(mode, (r) => r.transferP50)),
    'transfer p95 ms': round2(figure(mode, (r) => r.transferP95)),
    'CPU ms/transfer': round2(figure(mode, (r) => r.transferCpuMs)),
    'lookup req/s': Math.round(figure(mode, (r) => r.lookupRps)),
    'lookup p99 ms': figure(mode, (r) => r.lookupP99),
    'CPU ms/1000 lookups': round2(figure(mode, (r) => r.lookupCpuMs)),
    'fixed rate: CPU ms/1000 lookups': round2(figure(mode, (r) => r.fixedRateCpuMs)),
    'fixed rate: Zipkin CPU ms/1000': round2(figure(mode, (r) => r.fixedRateZipkinCpuMs)),
    'Zipkin CPU s': round2(median(runs.filter((r) => r.mode === mode).map((r) => r.zipkinMs)) / 1000),
  });
for (const mode of MODES.filter((m) => m !== 'off'))
  rows.push({
    run: `cost of tracing ${mode} vs off, %${mode === 'on' ? ' (goal < 10)' : ''}`,
    'load avg (1 min)': '',
    'transfer p50 ms': cost(mode, (r) => r.transferP50, false),
    'transfer p95 ms': cost(mode, (r) => r.transferP95, false),
    'CPU ms/transfer': cost(mode, (r) => r.transferCpuMs, false),
    'lookup req/s': cost(mode, (r) => r.lookupRps, true),
    'lookup p99 ms': cost(mode, (r) => r.lookupP99, false),
    'CPU ms/1000 lookups': cost(mode, (r) => r.lookupCpuMs, false),
    'fixed rate: CPU ms/1000 lookups': cost(mode, (r) => r.fixedRateCpuMs, false),
    'fixed rate: Zipkin CPU ms/1000': '',
    'Zipkin CPU s': '',
  });

const sample = runs[0]!.result;
const TRANSFER_COLUMNS = ['transfer p50 ms', 'transfer p95 ms', 'CPU ms/transfer'];
recordBenchmark({
  name: LOOKUPS_ONLY ? 'tracing lookups' : 'tracing',
  rows,
  columns: Object.keys(rows[0]!).filter((c) => !LOOKUPS_ONLY || !TRANSFER_COLUMNS.includes(c)),
  notes: [
    ...(LOOKUPS_ONLY
      ? [
          'lookup-only mode (TRACING_BENCH_LOOKUPS_ONLY=1): no transfers, the tanks made and paused, then the lookups alone',
        ]
      : []),
    ...(SAMPLE_RATIO
      ? [
          `\`on, sampled\`: tracing on with OTEL_TRACES_SAMPLER=parentbased_traceidratio and OTEL_TRACES_SAMPLER_ARG=${SAMPLE_RATIO} (a separate knob; the headline \`on\` keeps every trace)`,
        ]
      : []),
    `${ROUNDS} rounds of the ${MODES.length} modes, the order turned by one each round, each run a fresh process on a fresh database; medians per mode; the load average is the machine's when each run began (other work shares this 2-core machine)`,
    `each run: a gateway and 2 tank servers in one process on PostgreSQL, 40 tanks of 20 fish made through the gateway and paused; ${sample.transfers} transfers one at a time through POST /gateway/transfer (30 warm-up), then lookups (GET /gateway/tanks/{id}) from autocannon in a separate process, ${process.env.TRACING_BENCH_CONNECTIONS ?? 50} keep-alive connections, ${process.env.TRACING_BENCH_SECONDS ?? 8} s (${sample.lookupTotal} requests in run 1)`,
    'tracing off: no exporter configured, as a process without OTEL_EXPORTER_* runs: spans are still made (every log line carries their ids) and dropped; tracing on: the same spans, B3 and W3C headers, and the SDK batch exporter posting to Zipkin 3.5.1 (started by the bench, in-memory store, sharing the machine)',
    spansPerTransfer > 0
      ? `Zipkin listed the service after the runs; one transfer's trace held ${spansPerTransfer} spans (gateway server span, its calls to both servers, their server spans, PostgreSQL)`
      : "Zipkin listed the service after the runs; no transfer's trace was left in it: its in-memory store keeps 20,000 spans and each run's lookups, after its transfers, push them out",
    `fixed rate: a second lookup phase of the same length at ${process.env.TRACING_BENCH_RATE ?? 1500} req/s (autocannon overallRate), below what either mode serves: the same work in every mode, so its CPU per 1000 lookups is the process's own cost of tracing, without the swing that throughput itself gives CPU per request at saturation; Zipkin CPU ms/1000: what Zipkin's JVM used per 1000 lookups in that phase (on this machine it takes the same 2 cores)`,
    "CPU ms/1000 lookups: user + system CPU of the gateway-and-servers process during the lookup load; Zipkin CPU s: what Zipkin's JVM used during the whole run (it shares the 2 cores with the process it traces)",
    ...(MODES.includes('on, all detectors')
      ? [
          '`on, all detectors` is tracing on with every OpenTelemetry resource detector (OTEL_NODE_RESOURCE_DETECTORS=all), as before startTracing kept to `env`: the Zipkin exporter copies host, OS and process tags into every span',
        ]
      : []),
    'positive % = tracing on is worse (slower, or fewer req/s); p99 of the lookups is in whole ms from autocannon, so small differences there are one histogram step',
  ],
});

await zipkin.stop();
await pg.stop();
