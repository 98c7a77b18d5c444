/**
 * @module
 * The transfer soak: SOAK_TRANSFERS (default 1000) random fish transfers between 6 paused tanks
 * on 3 `tankworld server` processes through a `tankworld gateway` process, 8 at once, each with
 * an Idempotency-Key, while a random server or the gateway is SIGKILLed and restarted every
 * ~50 transfers (SOAK_KILLS to change). PostgreSQL and Consul are throwaway ones. Prints
 * committed, aborted, lost and duplicated, and exits 1 if a fish was lost or duplicated.
 * SOAK_RUNNING=1 keeps the tanks running (births, deaths, snapshots, journal replays on restore):
 * then only duplicates count, as a missing fish may have died.
 * Run: `npm run bench transfer-soak`.
 */
import { resolveBinaries, startConsul, startPostgres } from '../src/mesh/index.ts';
import { recordBenchmark, runSoak } from './support/index.ts';

const TRANSFERS = Number(process.env.SOAK_TRANSFERS ?? 1000);
const KILLS = Number(process.env.SOAK_KILLS ?? Math.max(1, Math.round(TRANSFERS / 50)));
const RUNNING = process.env.SOAK_RUNNING === '1';

const binaries = resolveBinaries({ env: process.env });
const pg = await startPostgres({ binDir: binaries.postgresBinDir });
const consul = await startConsul({ bin: binaries.consul });
let result: Awaited<ReturnType<typeof runSoak>>;
try {
  result = await runSoak({
    databaseUrl: await pg.createDatabase('bench_transfer_soak'),
    consulAddr: consul.httpAddr,
    transfers: TRANSFERS,
    kills: KILLS,
    concurrency: 8,
    seed: 1,
    running: RUNNING,
    log: (line) => console.log(`[soak] ${line}`),
  });
} finally {
  await consul.stop();
  await pg.stop();
}

recordBenchmark({
  name: 'transfer-soak',
  rows: [
    {
      transfers: result.transfers,
      committed: result.committed,
      aborted: result.aborted,
      'refused up front': result.refused,
      lost: RUNNING ? 'n/a (deaths)' : result.lost,
      duplicated: result.duplicated,
      kills: result.kills,
      fish: result.fish,
      'audit ok': result.auditOk ? 'yes' : 'no',
      seconds: result.seconds,
    },
  ],
  notes: [
    `3 tank server processes + 1 gateway process on PostgreSQL and Consul; 6 ${RUNNING ? 'running tanks (births and deaths go on)' : 'paused tanks'}; 8 transfers at once; SIGKILL + restart of a random process ${result.kills} times (${Object.entries(
      result.killed,
    )
      .map(([name, n]) => `${name} ×${n}`)
      .join(', ')})`,
    'each request retried with its Idempotency-Key on a lost connection or 5xx; aborted = the 2PC decided abort (a participant down, a fish already moved)',
    'lost = baseline uids found in no tank after recovery settled; duplicated = uids found in two tanks; target 0 and 0',
  ],
});
if (result.duplicates.length > 0) console.log(`duplicated uids: ${JSON.stringify(result.duplicates)}`);
for (const { uid, transfers } of result.missing)
  console.log(`lost uid ${uid}; its transfers:\n  ${transfers.join('\n  ')}`);
if (result.lost > 0 || result.duplicated > 0 || result.unknown > 0) process.exitCode = 1;
