/**
 * @module
 * The transfer soak: SOAK_TRANSFERS (default 1000) random fish transfers between 6 paused tanks
 * on 3 `tankworld server` processes through a `tankworld gateway` process, 8 at once, each with
 * an Idempotency-Key, while a random server or the gateway is SIGKILLed and restarted every
 * ~50 transfers (SOAK_KILLS to change). PostgreSQL and Consul are throwaway ones. Prints
 * committed, aborted, lost and duplicated, and exits 1 if a fish was lost or duplicated.
 * SOAK_RUNNING=1 keeps the tanks running (births, deaths, snapshots, journal replays on restore):
 * then only duplicates count, as a missing fish may have died.
 * SOAK_SEED picks the random transfers and kills (default 1). SOAK_FAILOVER=1 turns the
 * gateway's failover on (with the grace the config derives): each kill then lands on a server at
 * one of a participant's 2PC steps, in turn, and its tanks are restored on the other servers
 * before it restarts (see `support/soak-failover.ts`).
 * Run: `npm run bench transfer-soak`.
 */
import os from 'node:os';
import { resolveBinaries, startConsul, startPostgres } from '../src/mesh/index.ts';
import { recordBenchmark, runSoak } from './support/index.ts';

const TRANSFERS = Number(process.env.SOAK_TRANSFERS ?? 1000);
const KILLS = Number(process.env.SOAK_KILLS ?? Math.max(1, Math.round(TRANSFERS / 50)));
const RUNNING = process.env.SOAK_RUNNING === '1';
const FAILOVER = process.env.SOAK_FAILOVER === '1';

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
    seed: Number(process.env.SOAK_SEED ?? 1),
    running: RUNNING,
    failover: FAILOVER,
    log: (line) => console.log(`[soak] ${line}`),
  });
} finally {
  await consul.stop();
  await pg.stop();
}

const failover = result.failovers;
const restore = [...(failover?.restoreSeconds ?? [])].sort((a, b) => a - b);
recordBenchmark({
  name: failover ? 'transfer-soak (failover on)' : 'transfer-soak',
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
      ...(failover && {
        'tanks failed over': failover.moves,
        'kill → tanks answering elsewhere, p50 / max s': `${restore[Math.floor(restore.length / 2)]?.toFixed(1)} / ${restore.at(-1)?.toFixed(1)}`,
      }),
    },
  ],
  notes: [
    ...(failover
      ? [
          `seed ${process.env.SOAK_SEED ?? 1}; failover on (HEARTBEAT_MS=300, CHECK_TTL=2s, lease margin and failover grace as the config derives them): each kill arms one participant step on the server holding the most tanks, which SIGKILLs itself there (or is SIGKILLed outright after 20 s: "direct"); the gateway restores its tanks on the other two, then it restarts; the gateway itself is not killed in this mode`,
          `load average at the end: ${os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(', ')}`,
        ]
      : []),
    `3 tank server processes + 1 gateway process on PostgreSQL and Consul; 6 ${RUNNING ? 'running tanks (births and deaths go on)' : 'paused tanks'}; 8 transfers at once; SIGKILL + restart of ${failover ? 'a server (by the step it died at)' : 'a random process'} ${result.kills} times (${Object.entries(
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
