/**
 * @module
 * The kills of the transfer soak with failover on (see `soak.ts`): each kill arms one 2PC step
 * of a participant (`source_before_prepare` … `source_before_drop`, in turn) on the server that
 * holds the most of the soak's tanks, so that server SIGKILLs itself at that step of a transfer
 * in flight (or is SIGKILLed outright if no transfer reaches the step in time). Then it waits
 * until the gateway has restored every tank of the dead server on the others (its location moved
 * and the new server answers for it) and restarts the killed process. Transfers go on all the
 * while (the soak only holds them back at the next kill's turn, until this one is over): one
 * server is down at a time, and a kill is armed only once the previous victim runs again.
 */
import type postgres from 'postgres';
import { waitFor } from '../../src/mesh/index.ts';
import type { SoakRig } from './soak-rig.ts';

/** A participant's 2PC steps at which a kill is armed, one kill after another. */
export const PARTICIPANT_STEPS = [
  'source_before_prepare',
  'dest_before_prepare',
  'source_after_prepare',
  'dest_after_prepare',
  'dest_after_commit',
  'source_before_drop',
] as const;

export interface FailoverChaos {
  /** Kill number `k` (1-based): resolves once the victim's tanks run elsewhere and it restarted. */
  kill(k: number): Promise<void>;
  /** Kills by how they landed: a step name, or `direct` when no transfer reached the armed step. */
  readonly killed: Record<string, number>;
  /** Seconds from each kill to its tanks answering on their new servers. */
  readonly restoreSeconds: number[];
}

export interface FailoverChaosOptions {
  rig: SoakRig;
  sql: postgres.Sql;
  tankIds: readonly string[];
  log: (line: string) => void;
  /** How long an armed step may wait for a transfer before the server is SIGKILLed outright. */
  armedMs?: number;
}

export function createFailoverChaos({
  rig,
  sql,
  tankIds,
  log,
  armedMs = 20_000,
}: FailoverChaosOptions): FailoverChaos {
  const killed: Record<string, number> = {};
  const restoreSeconds: number[] = [];

  const tanksOn = async (serverId: string): Promise<string[]> =>
    (
      await sql<Array<{ tank_id: string }>>`select tank_id from tank_locations
        where server_id = ${serverId} and tank_id in ${sql(tankIds as string[])}`
    ).map((r) => r.tank_id);

  /** The server that runs the most of the soak's tanks (ties: the first listed). */
  async function busiest(): Promise<string> {
    const rows = await sql<Array<{ server_id: string; n: number }>>`select server_id, count(*)::int as n
      from tank_locations where tank_id in ${sql(tankIds as string[])}
      group by server_id order by n desc, server_id`;
    return rows.find((r) => rig.servers.has(r.server_id))?.server_id ?? [...rig.servers.keys()][0]!;
  }

  async function answersFor(tankId: string): Promise<boolean> {
    const [row] = await sql<Array<{ server_id: string }>>`select server_id from tank_locations
      where tank_id = ${tankId}`;
    const url = row && rig.serverUrls.get(row.server_id);
    if (!url) return false;
    const res = await rig.call(`${url}/api/tanks/${tankId}/stats`).catch(() => undefined);
    return res?.status === 200;
  }

  async function kill(k: number): Promise<void> {
    const step = PARTICIPANT_STEPS[(k - 1) % PARTICIPANT_STEPS.length]!;
    const victimId = await busiest();
    const victim = rig.servers.get(victimId)!;
    const owned = await tanksOn(victimId);
    log(`kill ${k}: arming ${step} on ${victimId} (${owned.length} tanks)`);
    rig.arm(victimId, step);
    const crashed = await waitFor(() => !victim.running, {
      what: `${victimId} to reach ${step}`,
      timeout: armedMs,
      interval: 10,
    }).catch(() => false);
    rig.arm(victimId, '');
    const how = crashed ? step : 'direct';
    if (!crashed) await victim.kill('SIGKILL');
    const began = performance.now();
    killed[how] = (killed[how] ?? 0) + 1;
    log(`${victimId} SIGKILLed (${how}); waiting for the gateway to restore its tanks elsewhere`);

    await waitFor(async () => (await tanksOn(victimId)).length === 0, {
      what: `the tanks of ${victimId} moved off it`,
      timeout: 90_000,
      interval: 50,
    });
    for (const tankId of owned)
      await waitFor(() => answersFor(tankId), {
        what: `tank ${tankId} answering on its new server`,
        timeout: 60_000,
        interval: 50,
      });
    restoreSeconds.push((performance.now() - began) / 1000);
    await victim.restart();
    log(`${victimId} restarted`);
  }

  return {
    kill,
    killed,
    restoreSeconds,
  };
}
