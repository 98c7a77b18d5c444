/**
 * @module
 * The transfer soak: random fish moved between random tanks of three `tankworld server`
 * processes through a `tankworld gateway` process, a few at once, each with its own
 * Idempotency-Key (retried with the same key, as a client would), while a server or the gateway
 * is SIGKILLed and restarted now and then. Once recovery has settled (nothing unfinished in the
 * log, no reservation held) every fish of the paused tanks is counted by uid: `lost` (in the
 * baseline, found nowhere) and `duplicated` (found twice) must both be 0. With `running`, the
 * tanks live on (births, deaths, snapshots at every interval, restores that replay the transfer
 * journal onto older snapshots): a uid found twice is still a duplicate, but a missing one may
 * have died, so only `duplicated` counts. With `failover`, the gateway fails over: each
 * kill hits a server at a 2PC step and its tanks are restored elsewhere before it restarts
 * (`soak-failover.ts`); tanks are always found where their location names them.
 */
import postgres from 'postgres';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { waitFor } from '../../src/mesh/index.ts';
import { createFailoverChaos, type FailoverChaos } from './soak-failover.ts';
import { type SoakRig, startSoakRig } from './soak-rig.ts';

export interface SoakOptions {
  databaseUrl: string;
  consulAddr: string;
  transfers: number;
  kills: number;
  concurrency?: number;
  tanksPerServer?: number;
  fishPerTank?: number;
  seed?: number;
  /** Tanks keep running (births and deaths) instead of being paused; `lost` is then not counted. */
  running?: boolean;
  /** Failover on (the config's derived grace): kills land on servers at 2PC steps and their tanks move. */
  failover?: boolean;
  /** Progress lines (a kill, a restart, the settle); none by default. */
  log?: (line: string) => void;
}

export interface SoakResult {
  transfers: number;
  committed: number;
  aborted: number;
  /** Requests that logged no transfer: refused up front (a tank's server down, a fish gone) or given up on. */
  refused: number;
  lost: number;
  duplicated: number;
  /** Each duplicated uid with the tanks it was found in, to look its transfers up. */
  duplicates: Array<{ uid: string; tanks: string[] }>;
  /** Each lost uid with the transfers that moved it (status and events, oldest first). */
  missing: Array<{ uid: string; transfers: string[] }>;
  /** Uids found that were not there at the start (fish are paused: must be 0). */
  unknown: number;
  fish: number;
  kills: number;
  killed: Record<string, number>;
  auditOk: boolean;
  seconds: number;
  /** With failover: tanks moved by it (epochs gained) and seconds from each kill to its tanks answering elsewhere. */
  failovers?: { moves: number; restoreSeconds: number[] };
}

interface Fish {
  id: number;
  uid: string;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { databaseUrl, consulAddr, log = () => {} } = options;
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const rig = await startSoakRig({
    databaseUrl,
    consulAddr,
    failoverGraceMs: options.failover ? 'derived' : 0,
  });
  try {
    return await drive(rig, sql, options, log);
  } finally {
    await rig.stop();
    await sql.end();
  }
}

async function drive(
  rig: SoakRig,
  sql: postgres.Sql,
  {
    transfers,
    kills: killCount,
    concurrency = 8,
    tanksPerServer = 2,
    fishPerTank = 10,
    seed = 1,
    running = false,
    failover: failingOver = false,
  }: SoakOptions,
  log: (line: string) => void,
): Promise<SoakResult> {
  const rng = xoroshiro128plus(seed);
  const pick = <T>(list: readonly T[]): T => list[uniformInt(rng, 0, list.length - 1)]!;

  // Tanks straight on their servers (2 each), paused with the pause in their snapshot so a
  // restarted server brings them back paused: no births, no deaths, the same fish throughout
  // (unless `running`).
  const tanks: Array<{ id: string; server: string }> = [];
  for (const [server, url] of rig.serverUrls) {
    for (let i = 0; i < tanksPerServer; i++) {
      const created = await rig.call(`${url}/api/tanks`, {
        method: 'POST',
        body: { name: `soak-${server}-${i}`, seed: seed * 100 + tanks.length, initial_fish: fishPerTank },
      });
      if (created.status !== 201)
        throw new Error(`create tank: ${created.status} ${JSON.stringify(created.body)}`);
      const id = (created.body as { tank: { tank_id: string } }).tank.tank_id;
      for (const step of running ? ['snapshots'] : ['pause', 'snapshots'])
        await rig.call(`${url}/api/tanks/${id}/${step}`, { method: 'POST' });
      tanks.push({ id, server });
    }
  }
  // Asked where the tank's location names it now: a failover moves it.
  const fishOf = async (tank: { id: string }): Promise<Fish[] | undefined> => {
    const [at] = await sql<Array<{ server_id: string }>>`select server_id from tank_locations
      where tank_id = ${tank.id}`;
    const url = at && rig.serverUrls.get(at.server_id);
    if (!url) return undefined;
    const res = await rig.call(`${url}/api/tanks/${tank.id}/entities?kind=fish`).catch(() => undefined);
    return res?.status === 200 ? (res.body as { entities: Fish[] }).entities : undefined;
  };
  const known = new Map<string, Fish[]>();
  for (const t of tanks) known.set(t.id, (await fishOf(t)) ?? []);
  const baseline = new Set([...known.values()].flat().map((f) => f.uid));

  const names = ['gateway', ...rig.serverUrls.keys()];
  const failover: FailoverChaos | undefined = failingOver
    ? createFailoverChaos({ rig, sql, tankIds: tanks.map((t) => t.id), log })
    : undefined;
  const killed: Record<string, number> = failover?.killed ?? {};
  let kills = 0;
  let chaos: Promise<void> | undefined;
  /** A kill after every this many transfers started, one at a time. */
  const every = Math.max(1, Math.floor(transfers / (killCount + 1)));
  function killOne() {
    if (failover) {
      chaos = failover.kill(++kills).finally(() => {
        chaos = undefined;
      });
      return;
    }
    const i = uniformInt(rng, 0, rig.programs.length - 1);
    const victim = rig.programs[i]!;
    kills++;
    killed[names[i]!] = (killed[names[i]!] ?? 0) + 1;
    log(`SIGKILL ${names[i]} (kill ${kills} of ${killCount})`);
    chaos = victim
      .kill('SIGKILL')
      .then(() => victim.restart())
      .then(() => log(`${names[i]} restarted`))
      .finally(() => {
        chaos = undefined;
      });
  }

  let gaveUp = 0;
  async function transfer(n: number): Promise<void> {
    const from = pick(tanks);
    const to = pick(tanks.filter((t) => t !== from));
    const fresh = await fishOf(from);
    if (fresh) known.set(from.id, fresh);
    const candidates = known.get(from.id) ?? [];
    if (candidates.length === 0) return;
    const body = {
      source_tank_id: from.id,
      dest_tank_id: to.id,
      entity_id: pick(candidates).id,
      entity_type: 'fish',
    };
    const headers = { 'idempotency-key': `soak-${seed}-${n}` };
    // A client's retries: the same key, so a retry never starts a second transfer.
    for (let attempt = 0; attempt < 8; attempt++) {
      const res = await rig
        .call(`${rig.gatewayUrl}/gateway/transfer`, { method: 'POST', body, headers })
        .catch(() => undefined);
      const answer = res?.body as { code?: string; aborted?: boolean } | undefined;
      // An aborted transfer's answer is final (a retry with its key gets it again); a lost
      // connection, a 5xx before any transfer was logged or one still in progress is worth a retry.
      if (res && (answer?.aborted === true || (res.status < 500 && answer?.code !== 'conflict'))) return;
      await delay(Math.min(2000, 200 * 2 ** attempt));
    }
    gaveUp++;
  }

  const began = performance.now();
  let next = 0;
  async function worker() {
    while (next < transfers) {
      const n = next++;
      // Kill number k once transfer k × every has started, after the last kill's restart:
      // every kill happens, even when restarts are slower than the transfers.
      if (kills < killCount && n >= (kills + 1) * every) {
        while (chaos) await chaos;
        if (kills < killCount && n >= (kills + 1) * every) killOne();
      }
      await transfer(n);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  await chaos;
  log(`${transfers} transfers sent (${gaveUp} given up after retries); waiting for recovery to settle`);

  await waitFor(
    async () => {
      const [open] = await sql`select
        (select count(*) from transfers where status in ('initiated', 'prepared'))::int as unfinished,
        (select count(*) from transfer_reservations where state = 'open')::int as held`;
      return open!.unfinished === 0 && open!.held === 0;
    },
    { what: 'no unfinished transfer and no reservation held', timeout: 120_000, interval: 250 },
  );
  const seconds = (performance.now() - began) / 1000;

  // Every tank through its own server (each must answer: a fish nowhere would be lost).
  const seen = new Map<string, number>();
  const where = new Map<string, string[]>();
  for (const t of tanks) {
    const fish = await waitFor(() => fishOf(t), {
      what: `the fish of tank ${t.id}`,
      timeout: 60_000,
      interval: 250,
    });
    for (const f of fish) {
      seen.set(f.uid, (seen.get(f.uid) ?? 0) + 1);
      where.set(f.uid, [...(where.get(f.uid) ?? []), t.id]);
    }
  }
  const audit = await waitFor(
    async () => {
      const res = await rig.call(`${rig.gatewayUrl}/api/audit`).catch(() => undefined);
      const report = res?.body as { ok: boolean; unreachable: string[] } | undefined;
      return res?.status === 200 && report!.unreachable.length === 0 ? report : undefined;
    },
    { what: 'an audit reaching every server', timeout: 60_000, interval: 500 },
  );
  const rows = await sql<Array<{ status: string; n: number }>>`select status, count(*)::int as n
    from transfers where idempotency_key like ${`soak-${seed}-%`} group by status`;
  const count = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
  // A running tank's missing fish may have died: only a paused one's is lost.
  const lostUids = running ? [] : [...baseline].filter((uid) => !seen.has(uid));
  const missing = [];
  for (const uid of lostUids) {
    const history = await sql<Array<{ line: string }>>`select
      t.transfer_id || ' ' || t.status || ' ' || t.source_tank_id || '->' || t.dest_tank_id || ': ' ||
      coalesce((select string_agg(e.event_type || coalesce(e.event_data->>'server', ''), ',' order by e.event_id)
        from transfer_events e where e.transfer_id = t.transfer_id), '') || ' | held: ' ||
      coalesce((select string_agg(r.role || '@' || r.server_id || ' ' || r.state || ' seq ' || r.seq, ', ')
        from transfer_reservations r where r.transfer_id = t.transfer_id), 'none') as line
      from transfers t where t.entity_uid = ${uid} order by t.created_at`;
    missing.push({ uid, transfers: history.map((h) => h.line) });
  }
  const committed = count('committed');
  const aborted = count('aborted');
  return {
    transfers,
    committed,
    aborted,
    refused: transfers - committed - aborted,
    lost: lostUids.length,
    duplicated: [...seen.values()].filter((n) => n > 1).length,
    duplicates: [...where].filter(([, at]) => at.length > 1).map(([uid, at]) => ({ uid, tanks: at })),
    missing,
    unknown: running ? 0 : [...seen.keys()].filter((uid) => !baseline.has(uid)).length,
    fish: baseline.size,
    kills,
    killed,
    auditOk: audit.ok,
    seconds: Number(seconds.toFixed(1)),
    failovers: failover && {
      moves: (
        await sql<Array<{ n: number }>>`select coalesce(sum(epoch - 1), 0)::int as n
        from tank_locations where tank_id in ${sql(tanks.map((t) => t.id))}`
      )[0]!.n,
      restoreSeconds: failover.restoreSeconds,
    },
  };
}
