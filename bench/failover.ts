/**
 * @module
 * How fast a SIGKILLed tank server's tanks come back: three `tankworld server` processes and a
 * `tankworld gateway` (DISCOVERY=consul, failover on) on a throwaway PostgreSQL and Consul agent,
 * six tanks (on each server one paused, one running). FAILOVER_KILLS (default 20) times per
 * profile the server holding the most tanks is SIGKILLed (see `support/failover-probe.ts`):
 * kill → the gateway's lookup stops naming it; kill → a viewer following the lookup gets a frame
 * from the new server; fish lost per failover, by uid. The victim is then restarted and the next
 * kill waits until every Consul check passes again. Profiles: `defaults` (the config's own
 * heartbeat, TTL, lease margin, derived grace and snapshot interval) and `fast`
 * (FLEET_PROFILE=fast); FAILOVER_PROFILES
 * picks some. Run: `npm run bench failover`.
 */
import os from 'node:os';
import postgres from 'postgres';
import { resolveBinaries, startConsul, startPostgres, waitFor } from '../src/mesh/index.ts';
import { type KillMeasure, measureKill } from './support/failover-probe.ts';
import { recordBenchmark } from './support/index.ts';
import { type SoakRig, startSoakRig } from './support/soak-rig.ts';

const KILLS = Number(process.env.FAILOVER_KILLS ?? 20);
/** The config's defaults: every timing variable the rig would set is removed. */
const DEFAULTS_ENV = {
  HEARTBEAT_MS: undefined,
  CHECK_TTL: undefined,
  FAILOVER_GRACE_MS: undefined,
  SNAPSHOT_INTERVAL_MS: undefined,
};
/** The fast profile (`FLEET_PROFILE=fast`: a TTL pass every 250 ms, a 1 s TTL, a 250 ms margin). */
const FAST_ENV = { ...DEFAULTS_ENV, FLEET_PROFILE: 'fast' };
const PROFILES: Record<string, Record<string, string | undefined>> = {
  defaults: DEFAULTS_ENV,
  fast: FAST_ENV,
};
const chosen = (process.env.FAILOVER_PROFILES ?? 'defaults,fast').split(',');

const binaries = resolveBinaries({ env: process.env });
const pg = await startPostgres({ binDir: binaries.postgresBinDir });

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function tanksByServer(sql: postgres.Sql): Promise<Map<string, string[]>> {
  const rows = await sql<Array<{ server_id: string; tank_id: string }>>`select server_id, tank_id
    from tank_locations order by server_id, tank_id`;
  const by = new Map<string, string[]>();
  for (const r of rows) by.set(r.server_id, [...(by.get(r.server_id) ?? []), r.tank_id]);
  return by;
}

async function allChecksPass(consulAddr: string): Promise<boolean> {
  const res = await fetch(`http://${consulAddr}/v1/agent/checks`);
  const checks = Object.values((await res.json()) as Record<string, { Status: string }>);
  return checks.length > 0 && checks.every((c) => c.Status === 'passing');
}

async function runProfile(name: string): Promise<{ kills: KillMeasure[]; env: string }> {
  const consul = await startConsul({ bin: binaries.consul });
  const databaseUrl = await pg.createDatabase(`bench_failover_${name}`);
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const env = PROFILES[name]!;
  let rig: SoakRig | undefined;
  try {
    rig = await startSoakRig({
      databaseUrl,
      consulAddr: consul.httpAddr,
      serverIds: [`${name}-1`, `${name}-2`, `${name}-3`],
      failoverGraceMs: 'derived',
      env: { ...env, LOG_LEVEL: 'error' },
    });
    const paused = new Map<string, boolean>();
    for (const [server, url] of rig.serverUrls) {
      for (const pause of [true, false]) {
        const created = await rig.call(`${url}/api/tanks`, {
          method: 'POST',
          body: { name: `failover-${server}-${pause ? 'paused' : 'running'}`, initial_fish: 12 },
        });
        const id = (created.body as { tank: { tank_id: string } }).tank.tank_id;
        if (pause) await rig.call(`${url}/api/tanks/${id}/pause`, { method: 'POST' });
        await rig.call(`${url}/api/tanks/${id}/snapshots`, { method: 'POST' });
        paused.set(id, pause);
      }
    }
    const kills: KillMeasure[] = [];
    for (let k = 1; k <= KILLS; k++) {
      await waitFor(() => allChecksPass(consul.httpAddr), { what: 'every check passing', timeout: 120_000 });
      const [victim, owned] = [...(await tanksByServer(sql))].sort((a, b) => b[1].length - a[1].length)[0]!;
      const watched = owned[k % owned.length]!;
      const m = await measureKill({
        rig,
        sql,
        victim,
        watched,
        paused: new Map(owned.map((id) => [id, paused.get(id)!])),
      });
      kills.push(m);
      console.log(
        `[failover ${name}] kill ${k}/${KILLS} ${victim} (${owned.length} tanks): lookup ${Math.round(m.lookupMs)} ms, ` +
          `stream ${Math.round(m.streamMs)} ms, lost ${m.tanks.map((t) => `${t.lost}/${t.bornSinceSnapshot}`).join(' ')}`,
      );
      await rig.servers.get(victim)!.restart();
    }
    const set = Object.entries(env).filter(([, v]) => v !== undefined);
    return { kills, env: set.length ? set.map(([k, v]) => `${k}=${v}`).join(' ') : 'config defaults' };
  } finally {
    await rig?.stop();
    await sql.end();
    await consul.stop();
  }
}

const rows = [];
const notes: string[] = [];
try {
  for (const name of chosen) {
    const { kills, env } = await runProfile(name);
    const lookup = kills.map((k) => k.lookupMs).sort((a, b) => a - b);
    const stream = kills.map((k) => k.streamMs).sort((a, b) => a - b);
    const tanks = kills.flatMap((k) => k.tanks);
    const ofPaused = tanks.filter((t) => t.paused);
    const ofRunning = tanks.filter((t) => !t.paused);
    rows.push({
      profile: name,
      kills: kills.length,
      'lookup p50 s': seconds(quantile(lookup, 0.5)),
      'lookup p95 s': seconds(quantile(lookup, 0.95)),
      'lookup max s': seconds(lookup.at(-1)!),
      'streaming p50 s': seconds(quantile(stream, 0.5)),
      'streaming p95 s': seconds(quantile(stream, 0.95)),
      'streaming max s': seconds(stream.at(-1)!),
      'lost, paused tanks (max)': Math.max(0, ...ofPaused.map((t) => t.lost)),
      'lost, running tanks (p50 / max)': `${quantile(
        ofRunning.map((t) => t.lost).sort((a, b) => a - b),
        0.5,
      )} / ${Math.max(0, ...ofRunning.map((t) => t.lost))}`,
      'born since snapshot (max)': Math.max(0, ...ofRunning.map((t) => t.bornSinceSnapshot)),
      'snapshot fish missing': tanks.reduce((n, t) => n + t.snapshotFishMissing, 0),
      'tanks moved': tanks.length,
    });
    notes.push(`${name}: ${env}`);
  }
} finally {
  await pg.stop();
}

recordBenchmark({
  name: 'failover',
  rows,
  notes: [
    '3 `tankworld server` processes + 1 `tankworld gateway` (DISCOVERY=consul, failover on) on PostgreSQL and a Consul agent; 6 tanks of 12 fish, on each server one paused and one running; each kill SIGKILLs the server holding the most tanks, then restarts it once its tanks run elsewhere',
    'lookup = SIGKILL → `GET /gateway/tanks/{id}` of one of its tanks stops naming the dead server (polled every 20 ms); streaming = SIGKILL → a viewer that looks the tank up and opens its `websocket_url` (retrying every 20 ms) gets a binary frame from the new server',
    'lost = uids alive at the kill and absent from the restored tank; born since snapshot = uids alive at the kill that the last saved snapshot lacked (the bound); snapshot fish missing = uids of the last snapshot alive at the kill but absent after the restore (0 expected, a death in the first restored frames aside)',
    ...notes,
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} (2 cores shared with other work)`,
  ],
});
