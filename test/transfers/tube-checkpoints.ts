/**
 * @module
 * The tube soak's checkpoints over HTTP: a census of every tank's fish by uid, THEN a snapshot
 * of every tank, THEN every tank's death record, fed to the account by uid (`uid-account.ts`).
 * In that order a kill can only roll a tank back to a snapshot taken after the census, so every
 * uid counted stays accounted for. Mid-run the sweep over the tanks is not atomic (a fish may be
 * counted in two tanks as it moves, or in none while in flight): only the set of uids matters.
 * Calls retry while a restarted server is coming back.
 */
import type { SoakRig } from '../../bench/support/index.ts';
import type { DeathRecord, UidAccount } from './uid-account.ts';

export interface TankRef {
  id: string;
  server: string;
  url: string;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `rig.call` until it answers `status`, for up to `ms` (a server restarting refuses meanwhile). */
export async function callUntil(
  rig: SoakRig,
  url: string,
  status: number,
  init: { method?: string } = {},
  ms = 20_000,
): Promise<unknown> {
  const until = performance.now() + ms;
  let last = '';
  for (;;) {
    const res = await rig.call(url, init).catch((err: Error) => ({ status: 0, body: err.message }));
    if (res.status === status) return res.body;
    last = `${res.status} ${JSON.stringify(res.body)}`;
    if (performance.now() > until) throw new Error(`${init.method ?? 'GET'} ${url} answered ${last}`);
    await delay(200);
  }
}

/** Every fish uid → a tank it was counted in. */
export async function sweepUids(rig: SoakRig, tanks: TankRef[]): Promise<Map<string, string>> {
  const where = new Map<string, string>();
  const lists = await Promise.all(
    tanks.map((t) => callUntil(rig, `${t.url}/api/tanks/${t.id}/entities?kind=fish`, 200)),
  );
  lists.forEach((body, n) => {
    for (const f of (body as { entities: Array<{ uid: string }> }).entities) where.set(f.uid, tanks[n]!.id);
  });
  return where;
}

/**
 * Reads every tank's death record into the account, each after a snapshot at `frames` (tank →
 * frame; `Infinity` once nothing can roll back); answers what the account refused (a record
 * that may have dropped a death it needed), which the soak fails on.
 */
export async function readDeaths(
  rig: SoakRig,
  tanks: TankRef[],
  account: UidAccount,
  frames: ReadonlyMap<string, number>,
): Promise<string[]> {
  const records = await Promise.all(
    tanks.map((t) => callUntil(rig, `${t.url}/api/tanks/${t.id}/deaths`, 200) as Promise<DeathRecord>),
  );
  return records.flatMap((r) => account.read(r, frames.get(r.tank_id) ?? 0) ?? []);
}

/**
 * One checkpoint: census, then snapshots, then death records. Answers how many uids the census
 * counted and what the account refused.
 */
export async function checkpoint(
  rig: SoakRig,
  tanks: TankRef[],
  account: UidAccount,
): Promise<{ counted: number; refused: string[] }> {
  const census = await sweepUids(rig, tanks);
  account.observe(census);
  const frames = new Map<string, number>();
  await Promise.all(
    tanks.map(async (t) => {
      const taken = await callUntil(rig, `${t.url}/api/tanks/${t.id}/snapshots`, 201, { method: 'POST' });
      frames.set(t.id, (taken as { frame: number }).frame);
    }),
  );
  return { counted: census.size, refused: await readDeaths(rig, tanks, account, frames) };
}
