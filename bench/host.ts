/**
 * @module
 * How many tanks of 25 fish one tank-server process holds at ≥ 29 Hz on one core: N tanks on
 * one real TankHost (its own timer, catch-up and I/O slicing), viewers off, run for a few
 * seconds per step; a step passes when every tank advanced at ≥ 29 frames per second of wall
 * time. Run: `npm run bench host` (or `node bench/host.ts`).
 */
import { createWorld, spawnFish } from '../src/sim/index.ts';
import { createTank, createTankHost, type Tank } from '../src/tank/index.ts';
import { type Row, recordBenchmark } from './support/index.ts';

const SECONDS = Number(process.env.HOST_BENCH_SECONDS ?? 4);
const STEPS = (process.env.HOST_BENCH_TANKS ?? '250,500,1000,1250,1500,2000').split(',').map(Number);
const FISH = 25;
const PASS_HZ = 29;

function makeTank(n: number): Tank {
  const world = createWorld({ seed: 7000 + n, uidPrefix: `h${n}`, initialFish: FISH });
  while (world.fish.count < FISH) spawnFish(world);
  const meta = {
    name: `bench ${n}`,
    description: '',
    owner: null,
    is_public: true,
    allow_transfers: true,
    seed: n,
    created_at: '',
  };
  return createTank({ id: `h${n}`, world, meta });
}

async function run(tankCount: number): Promise<Row> {
  const tanks = Array.from({ length: tankCount }, (_, n) => makeTank(n));
  let behindMax = 0;
  let ticks = 0;
  let tickSeconds = 0;
  const host = createTankHost({
    tickHz: 30,
    onTick: ({ seconds, behind }) => {
      ticks++;
      tickSeconds += seconds;
      behindMax = Math.max(behindMax, behind);
    },
  });
  for (const tank of tanks) host.add(tank);
  const cpu0 = process.cpuUsage();
  const frames0 = tanks.map((t) => t.world.frame);
  const fish0 = tanks.reduce((s, t) => s + t.world.fish.count, 0);
  const started = performance.now();
  host.start();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  await host.stop();
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rates = tanks.map((t, i) => (t.world.frame - frames0[i]!) / wall);
  const slowest = Math.min(...rates);
  const fish1 = tanks.reduce((s, t) => s + t.world.fish.count, 0);
  return {
    tanks: tankCount,
    'fish (start→end)': `${fish0}→${fish1}`,
    'slowest tank Hz': slowest,
    'mean tank Hz': rates.reduce((a, b) => a + b, 0) / rates.length,
    'tick ms (mean)': (tickSeconds / Math.max(1, ticks)) * 1000,
    'CPU (cores)': (cpu.user + cpu.system) / 1e6 / wall,
    holds: slowest >= PASS_HZ ? 'yes' : 'no',
  };
}

const rows: Row[] = [];
for (const n of STEPS) {
  const row = await run(n);
  rows.push(row);
  console.log(JSON.stringify(row));
  if (row.holds === 'no') break;
}
const best = rows.filter((r) => r.holds === 'yes').at(-1);
recordBenchmark({
  name: 'host',
  rows,
  notes: [
    `One TankHost in one process (one core), tanks of ${FISH} fish at 30 Hz, no viewers; ${SECONDS} s per step; a step holds when its slowest tank ran at ≥ ${PASS_HZ} Hz of wall time.`,
    `Most tanks held: ${best ? best.tanks : 'none'} (target ≥ 1000). The original Python Tank World stalls past 20–25 tanks per server on this machine.`,
  ],
});
