/**
 * @module
 * The seed's load mix: many users, each viewing tanks three times as often as creating one,
 * through the gateway, at rising user counts until the p95 passes 100 ms. A `tankworld gateway`
 * and two `tankworld server` processes run on Consul and PostgreSQL with every quota and rate
 * limit off (`UNLIMITED_ENV`); the users are a separate Node process (fetch, keep-alive), each
 * a closed loop with a think time, so the load is bounded and on loopback. A view is
 * `GET /api/tanks/{id}` (forwarded to the tank's server) of a random public tank; a create is
 * `POST /api/tanks` (placement, the server's create, its first snapshot); created tanks run.
 * Run: `npm run bench loadmix` (LOADMIX_SECONDS, LOADMIX_THINK_MS, LOADMIX_MAX_USERS).
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { mintToken } from '../src/auth/index.ts';
import { resolveBinaries, startConsul, startPostgres } from '../src/mesh/index.ts';
import { recordBenchmark } from './support/index.ts';
import { SOAK_SECRET, startSoakRig } from './support/soak-rig.ts';

const SECONDS = Number(process.env.LOADMIX_SECONDS ?? 8);
const THINK_MS = Number(process.env.LOADMIX_THINK_MS ?? 200);
const MAX_USERS = Number(process.env.LOADMIX_MAX_USERS ?? 512);
const GOAL_P95_MS = 100;
const run = promisify(execFile);

const binaries = resolveBinaries({ env: process.env });
const pg = process.env.DATABASE_URL ? undefined : await startPostgres({ binDir: binaries.postgresBinDir });
const databaseUrl = process.env.DATABASE_URL ?? (await pg!.createDatabase('bench_loadmix'));
const consul = await startConsul({ bin: binaries.consul });
const rig = await startSoakRig({ databaseUrl, consulAddr: consul.httpAddr, serverIds: ['mix-1', 'mix-2'] });

// Tanks to view: public, with a few fish each.
const seedTanks: string[] = [];
for (let i = 0; i < 20; i++) {
  const { status, body } = await rig.call(`${rig.gatewayUrl}/api/tanks`, {
    method: 'POST',
    body: { name: `mix ${i}`, seed: i, initial_fish: 10, is_public: true },
  });
  if (status !== 201) throw new Error(`seed create failed: ${status} ${JSON.stringify(body)}`);
  seedTanks.push((body as { tank: { tank_id: string } }).tank.tank_id);
}

// The users: one process, each user a loop of op, think, op…; 3 views for 1 create (seeded).
const usersScript = `
const { url, tokens, tanks, seconds, thinkMs } = JSON.parse(process.argv[1]);
let a = 42;
const rand = () => { a = (a + 0x6d2b79f5) | 0; let t = Math.imul(a ^ (a >>> 15), 1 | a);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const samples = { view: [], create: [] };
const errors = {};
const end = Date.now() + seconds * 1000;
async function user(token, n) {
  await new Promise((r) => setTimeout(r, rand() * thinkMs)); // users do not start in step
  let i = 0;
  while (Date.now() < end) {
    const kind = rand() < 0.25 ? 'create' : 'view';
    const t0 = performance.now();
    try {
      const res = kind === 'view'
        ? await fetch(url + '/api/tanks/' + tanks[Math.floor(rand() * tanks.length)], { headers: { authorization: 'Bearer ' + token } })
        : await fetch(url + '/api/tanks', { method: 'POST',
            headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'user ' + n + ' tank ' + i++, initial_fish: 3 }) });
      await res.arrayBuffer();
      samples[kind].push(performance.now() - t0);
      const ok = kind === 'view' ? 200 : 201;
      if (res.status !== ok) errors[res.status] = (errors[res.status] ?? 0) + 1;
    } catch (err) {
      samples[kind].push(performance.now() - t0);
      errors[err.cause?.code ?? err.name] = (errors[err.cause?.code ?? err.name] ?? 0) + 1;
    }
    await new Promise((r) => setTimeout(r, thinkMs));
  }
}
await Promise.all(tokens.map((t, n) => user(t, n)));
process.stdout.write(JSON.stringify({ samples, errors }));
`;

const q = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! * 10) / 10;
};

const tokens: string[] = [];

/** Runs `users` users for `seconds`; returns their samples and errors. */
async function step(users: number, seconds: number) {
  while (tokens.length < users)
    tokens.push(await mintToken({ secret: SOAK_SECRET, userId: `mix-user-${tokens.length}` }));
  const options = {
    url: rig.gatewayUrl,
    tokens: tokens.slice(0, users),
    tanks: seedTanks,
    seconds,
    thinkMs: THINK_MS,
  };
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', usersScript, JSON.stringify(options)],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as {
    samples: { view: number[]; create: number[] };
    errors: Record<string, number>;
  };
}

// Warm-up, not counted: the processes' JIT, pools and caches.
await step(4, 5);

const rows = [];
let stoppedAt: number | undefined;
for (let users = 1; users <= MAX_USERS; users *= 2) {
  const load0 = os.loadavg()[0]!;
  const { samples, errors } = await step(users, SECONDS);
  const all = [...samples.view, ...samples.create];
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  const p95 = q(all, 0.95);
  rows.push({
    users,
    'ops/s': Math.round(all.length / SECONDS),
    'views : creates': `${samples.view.length} : ${samples.create.length}`,
    'p50 ms': q(all, 0.5),
    'p95 ms': p95,
    'p99 ms': q(all, 0.99),
    'view p95 ms': q(samples.view, 0.95),
    'create p95 ms': q(samples.create, 0.95),
    errors:
      errorCount === 0
        ? 0
        : `${errorCount} (${Object.entries(errors)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')})`,
    'load avg': `${load0.toFixed(1)}`,
  });
  console.log(rows[rows.length - 1]);
  if (p95 > GOAL_P95_MS) {
    stoppedAt = users;
    break;
  }
}

recordBenchmark({
  name: 'loadmix',
  rows,
  notes: [
    `each user: an operation, then ${THINK_MS} ms of thought, for ${SECONDS} s per step; 1 in 4 operations a create (seeded), the rest views of 20 public tanks (GET /api/tanks/{id}, forwarded to the tank's server)`,
    'after a 5 s warm-up with 4 users (not counted); a `tankworld gateway` and two `tankworld server` processes on Consul and PostgreSQL, quotas and rate limits off (UNLIMITED_ENV); the users are one other Node process on loopback; created tanks keep running (3 fish each), so each step starts with the tanks of the steps before',
    stoppedAt === undefined
      ? `p95 stayed within ${GOAL_P95_MS} ms up to ${MAX_USERS} users (the bound)`
      : `stopped at ${stoppedAt} users: the first step whose p95 passed ${GOAL_P95_MS} ms`,
    `"load avg": the machine's 1-minute load average as the step began (2 cores, shared with other sessions' work)`,
  ],
});
await rig.stop();
await consul.stop();
await pg?.stop();
