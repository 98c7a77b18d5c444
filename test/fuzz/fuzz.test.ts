/**
 * @module
 * A short, seeded fuzzing run (the long one is `npm run bench fuzz`): requests for every
 * operation of the gateway's and a tank server's OpenAPI documents, and WebSocket sessions on a
 * tank server, each drawn by fast-check from the schemas and then mutated; meanwhile fish move
 * back and forth between two tanks on two servers. No input may get a 5xx, a 4xx that is not
 * problem+json, a 1011 or silence; a watching viewer keeps its frames; at the end the audit is
 * clean and the moved fish are all there, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type FuzzRig, startFuzzRig, startTransferLoop } from './rig.ts';
import { describeInput, formatHistogram, runSurface, type SurfaceReport } from './runner.ts';
import { fuzzSurfaces, type Surface } from './surfaces.ts';
import { startWatcher } from './ws-fuzz.ts';

const SEED = 20_261_204;
const cleanup = useCleanup();
let rig: FuzzRig;
let loop: ReturnType<typeof startTransferLoop>;
let watcher: Awaited<ReturnType<typeof startWatcher>>;
let uidsBefore: string[];
const surfaces = () => fuzzSurfaces(rig, coverage);
const coverage = new Map<string, number>();

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  rig = await startFuzzRig({ cleanup, databaseUrl: db.url });
  const token = (await rig.auth('carol')).authorization.slice('Bearer '.length);
  watcher = await startWatcher(`${rig.wsUrl}/ws/${rig.watchedTank}?token=${token}`);
  cleanup.add(() => watcher.stop());
  uidsBefore = (await Promise.all(rig.transferTanks.map(rig.fishUids))).flat().sort();
  loop = startTransferLoop({ rig });
}, 120_000);

afterAll(async () => {
  await loop?.stop();
});

/** Runs a surface, skipping NUL inputs, and expects no failure (printing the first ones). */
async function fuzz<I>(surface: Surface<I>, numRuns: number, seedOffset: number): Promise<SurfaceReport<I>> {
  const report = await runSurface({
    ...surface,
    numRuns,
    seed: SEED + seedOffset,
    concurrency: 4,
  });
  console.log(
    `${report.name}: ${report.tried} inputs in ${report.seconds.toFixed(1)} s: ${formatHistogram(report.histogram)}`,
  );
  const shown = report.failures
    .slice(0, 5)
    .map((f) => `#${f.index} ${f.failure}\n  ${describeInput(f.input)}`);
  expect(shown).toEqual([]);
  return report;
}

describe('fuzzing (short, seeded)', () => {
  it('should answer every gateway operation with no 5xx and a problem for every 4xx', async () => {
    const { gateway } = surfaces();
    const report = await fuzz(gateway, 300, 0);
    expect(report.tried).toBeGreaterThan(200);
    for (const op of rig.gatewayOps)
      expect(coverage.get(`${op.method} ${op.path}`), `${op.method} ${op.path}`).toBeGreaterThan(0);
  });

  it('should answer every tank server operation with no 5xx and a problem for every 4xx', async () => {
    coverage.clear();
    const { server } = surfaces();
    const report = await fuzz(server, 250, 1_000_000);
    expect(report.tried).toBeGreaterThan(150);
    for (const op of rig.serverOps)
      expect(coverage.get(`${op.method} ${op.path}`), `${op.method} ${op.path}`).toBeGreaterThan(0);
  });

  it('should answer every WebSocket frame with a JSON reply or a 4xxx/1007/1008/1009 close', async () => {
    const { ws } = surfaces();
    await fuzz(ws, 80, 2_000_000);
    // carol's viewer kept watching: once the tank runs again (a fuzzed pause may have stopped
    // it), frames keep coming.
    await fetch(`${rig.gatewayUrl}/api/tanks/${rig.watchedTank}/resume`, {
      method: 'POST',
      headers: await rig.auth('carol'),
    });
    const seen = watcher.frames();
    await expect.poll(() => watcher.frames(), { timeout: 5_000 }).toBeGreaterThan(seen);
    expect(watcher.closeCode()).toBeUndefined();
  });

  it('should have lost and duplicated no fish moved meanwhile, by the audit and by uid', async () => {
    const report = await loop.stop();
    console.log(`transfer loop: ${report.moved} moved: ${formatHistogram(report.histogram)}`);
    expect(report.failures).toEqual([]);
    expect(report.moved).toBeGreaterThan(0);
    const after = (await Promise.all(rig.transferTanks.map(rig.fishUids))).flat().sort();
    expect(after).toEqual(uidsBefore);
    expect(new Set(after).size).toBe(after.length);
    const audit = (await (
      await fetch(`${rig.gatewayUrl}/api/audit`, { headers: await rig.auth('keeper') })
    ).json()) as {
      ok: boolean;
      duplicated: unknown[];
    };
    expect(audit.duplicated).toEqual([]);
    expect(audit.ok).toBe(true);
  });
});
