/**
 * @module
 * The long fuzzing run (the short one is `test/fuzz/fuzz.test.ts`): fast-check requests for every
 * operation of the gateway's and a tank server's OpenAPI documents and WebSocket sessions on a
 * tank server, on loopback, a gateway and two servers in this process over PostgreSQL
 * (DATABASE_URL or a throwaway one), while a transfer loop moves fish between two tanks on the
 * two servers. Prints per surface the inputs tried and the outcome histogram; fails (exit 1) on
 * any 5xx, 4xx that is not problem+json, 1011 or silence, a fish lost or duplicated, an audit
 * that is not ok, or a watching viewer that stopped getting frames. Inputs carrying a NUL are
 * sent, but their 5xx are counted apart (branch h19-nul fixes them).
 *
 * Run: `npm run bench fuzz` (FUZZ_HTTP_N per HTTP surface, FUZZ_WS_N sessions, FUZZ_SEED,
 * FUZZ_MAX_SECONDS per surface).
 */
import { resolveBinaries, startPostgres } from '../src/mesh/index.ts';
import { type FuzzRig, startFuzzRig, startTransferLoop } from '../test/fuzz/rig.ts';
import { describeInput, formatHistogram, runSurface, type SurfaceReport } from '../test/fuzz/runner.ts';
import { fuzzSurfaces, type Surface } from '../test/fuzz/surfaces.ts';
import { startWatcher } from '../test/fuzz/ws-fuzz.ts';
import type { Cleanup, Disposable } from '../test/support/index.ts';
import { formatNumber, recordBenchmark } from './support/index.ts';

const HTTP_N = Number(process.env.FUZZ_HTTP_N ?? 45_000);
const WS_N = Number(process.env.FUZZ_WS_N ?? 15_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_204);
const MAX_SECONDS = Number(process.env.FUZZ_MAX_SECONDS ?? 900);

/** The test fixtures' cleanup, without vitest: stops everything, newest first. */
function benchCleanup(): Cleanup {
  const items: Disposable[] = [];
  return {
    add(resource) {
      items.push(resource);
      return resource;
    },
    async run() {
      for (const r of items.reverse()) {
        try {
          if ('stop' in r && typeof r.stop === 'function') await r.stop();
          else if ('close' in r && typeof r.close === 'function') await r.close();
          else if ('end' in r && typeof r.end === 'function') await r.end();
          else if (typeof r === 'function') await r();
        } catch {}
      }
      items.length = 0;
    },
  };
}

const pg = process.env.DATABASE_URL
  ? undefined
  : await startPostgres({ binDir: resolveBinaries({ env: process.env }).postgresBinDir });
const databaseUrl = process.env.DATABASE_URL ?? (await pg!.createDatabase('bench_fuzz'));
const cleanup = benchCleanup();
const rig: FuzzRig = await startFuzzRig({ cleanup, databaseUrl });
const carol = (await rig.auth('carol')).authorization.slice('Bearer '.length);
const watcher = await startWatcher(`${rig.wsUrl}/ws/${rig.watchedTank}?token=${carol}`);
const uidsBefore = (await Promise.all(rig.transferTanks.map(rig.fishUids))).flat().sort();
const loop = startTransferLoop({ rig });

/** NUL inputs' 5xx (and 1011s) per surface: the h19-nul bug, counted, not failed. */
const nul5xx = new Map<string, number>();
/** Where the NUL 5xx came from: operation and outcome → how many. */
const nulWhere = new Map<string, number>();
/** Inputs carrying a NUL per surface. */
const nulSent = new Map<string, number>();

async function fuzz<I>(
  surface: Surface<I>,
  numRuns: number,
  seedOffset: number,
  concurrency: number,
): Promise<SurfaceReport<I>> {
  const play = async (input: I) => {
    const outcome = await surface.play(input);
    if (surface.nul(input)) nulSent.set(surface.name, (nulSent.get(surface.name) ?? 0) + 1);
    if (outcome.failure && surface.nul(input) && outcome.keys.some((k) => /^5\d\d|close:1011/.test(k))) {
      nul5xx.set(surface.name, (nul5xx.get(surface.name) ?? 0) + 1);
      const where = `${(input as { operation?: string }).operation ?? surface.name} → ${outcome.keys.join(' ')}`;
      nulWhere.set(where, (nulWhere.get(where) ?? 0) + 1);
      return { keys: outcome.keys.map((k) => `${k} (NUL)`) };
    }
    return outcome;
  };
  let last = performance.now();
  let played = 0;
  const report = await runSurface({
    ...surface,
    play,
    numRuns,
    seed: SEED + seedOffset,
    concurrency,
    maxSeconds: MAX_SECONDS,
    maxFailures: 50,
    async after(input, outcome) {
      await surface.after?.(input, outcome);
      played++;
      if (performance.now() - last > 15_000) {
        last = performance.now();
        process.stderr.write(`${surface.name}: ${played} …\n`);
      }
    },
  });
  console.log(
    `${report.name}: ${report.tried} inputs in ${report.seconds.toFixed(1)} s: ${formatHistogram(report.histogram, 30)}`,
  );
  for (const f of report.failures.slice(0, 10))
    console.log(`  FAIL #${f.index} ${f.failure}\n    ${describeInput(f.input)}`);
  return report;
}

const { gateway, server, ws, coverage } = fuzzSurfaces(rig);
const reports: SurfaceReport<unknown>[] = [];
reports.push((await fuzz(gateway, HTTP_N, 0, 8)) as SurfaceReport<unknown>);
reports.push((await fuzz(server, HTTP_N, 10_000_000, 8)) as SurfaceReport<unknown>);
reports.push((await fuzz(ws, WS_N, 20_000_000, 4)) as SurfaceReport<unknown>);

// The watcher kept its stream: resume the tank (a fuzzed pause may have stopped it), see frames.
await fetch(`${rig.gatewayUrl}/api/tanks/${rig.watchedTank}/resume`, {
  method: 'POST',
  headers: await rig.auth('carol'),
});
const framesBefore = watcher.frames();
await new Promise((r) => setTimeout(r, 2_000));
const watcherOk = watcher.frames() > framesBefore && watcher.closeCode() === undefined;

for (const [where, n] of [...nulWhere].sort((a, b) => b[1] - a[1])) console.log(`  NUL 5xx ×${n}: ${where}`);
const transfers = await loop.stop();
for (const f of transfers.failures.slice(0, 10)) console.log(`  TRANSFER FAIL ${f}`);
const uidsAfter = (await Promise.all(rig.transferTanks.map(rig.fishUids))).flat().sort();
const fishOk =
  JSON.stringify(uidsAfter) === JSON.stringify(uidsBefore) && new Set(uidsAfter).size === uidsAfter.length;
const audit = (await (
  await fetch(`${rig.gatewayUrl}/api/audit`, { headers: await rig.auth('keeper') })
).json()) as {
  ok: boolean;
  fish: number;
  duplicated: unknown[];
};
const uncovered = [...rig.gatewayOps, ...rig.serverOps]
  .map((op) => `${op.method} ${op.path}`)
  .filter((op) => !coverage.get(op));

const total = reports.reduce((n, r) => n + r.tried, 0);
const failures = reports.reduce((n, r) => n + r.failures.length, 0);
const rows = [
  ...reports.map((r) => {
    const frames = r.name.includes('WebSocket')
      ? ` (sessions; ${formatNumber([...r.histogram].filter(([k]) => k.startsWith('reply:') && k !== 'reply:hello').reduce((n, [, c]) => n + c, 0))} replies)`
      : '';
    return {
      surface: r.name,
      inputs: `${formatNumber(r.tried)}${frames}`,
      'inputs/s': formatNumber(Math.round(r.tried / r.seconds)),
      failures: r.failures.length,
      'NUL inputs / their 5xx': `${formatNumber(nulSent.get(r.name) ?? 0)} / ${nul5xx.get(r.name) ?? 0}`,
      outcomes: formatHistogram(r.histogram, 14),
    };
  }),
  {
    surface: 'transfer loop (meanwhile)',
    inputs: formatNumber([...transfers.histogram.values()].reduce((a, b) => a + b, 0)),
    'inputs/s': '',
    failures: transfers.failures.length,
    'NUL inputs / their 5xx': '',
    outcomes: `${formatHistogram(transfers.histogram)}; uids before = after: ${fishOk}; audit ok: ${audit.ok} (${audit.fish} fish, ${audit.duplicated.length} duplicated)`,
  },
];
recordBenchmark({
  name: 'fuzz',
  rows,
  notes: [
    `${formatNumber(total)} inputs, seed ${SEED}, loopback; a gateway and two tank servers in this process, PostgreSQL`,
    'property: no 5xx, every 4xx application/problem+json with its status; WebSocket: a JSON reply or a 4xxx/1007/1008/1009 close, never 1011 or silence',
    `operations covered: ${rig.gatewayOps.length} gateway + ${rig.serverOps.length} tank server${uncovered.length ? `; not reached: ${uncovered.join(', ')}` : ', all reached'}`,
    `watching viewer kept getting frames: ${watcherOk}`,
    'inputs carrying a NUL are sent; their 5xx are counted apart',
  ],
});

watcher.stop();
await cleanup.run();
await pg?.stop();
const ok =
  failures === 0 && transfers.failures.length === 0 && fishOk && audit.ok && watcherOk && total >= 100_000;
if (!ok)
  console.error(
    `fuzz: FAILED (failures ${failures}, transfer failures ${transfers.failures.length}, fish ok ${fishOk}, audit ok ${audit.ok}, watcher ok ${watcherOk}, inputs ${total})`,
  );
process.exit(ok ? 0 : 1);
