/**
 * @module
 * The transfer soak with failover on (real processes: three `tankworld server`, one `tankworld
 * gateway`, PostgreSQL, a Consul agent of its own): 150 random transfers, 8 at once, while a
 * server is SIGKILLed 6 times, each time at one of a participant's 2PC steps (before and after
 * the source's and the destination's prepare, after the destination's commit, before the
 * source's drop), its tanks restored on the other servers by the gateway, and then restarted.
 * Once recovery has settled every fish of the paused tanks is in exactly one tank, and the
 * audit agrees. `npm run bench transfer-soak` with SOAK_FAILOVER=1 runs it with 1000 transfers.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/support/index.ts';
import { startConsul, useCleanup, useDatabase } from '../support/index.ts';

const cleanup = useCleanup();

describe('transfer soak with failover on (real processes)', () => {
  it('should lose and duplicate no fish when servers die at each 2PC step and their tanks move', async () => {
    const [consul, database] = await Promise.all([startConsul({ cleanup }), useDatabase({ cleanup })]);
    const result = await runSoak({
      databaseUrl: database.url,
      consulAddr: consul.httpAddr,
      transfers: 150,
      kills: 6,
      seed: 21,
      failover: true,
      log: (line) => console.log(`[soak] ${line}`),
    });
    console.log(`failover transfer soak: ${JSON.stringify(result)}`);
    expect(result.missing).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, unknown: 0, kills: 6, auditOk: true, fish: 60 });
    // The kills landed mid-transfer, at (nearly) every step armed, not as plain SIGKILLs.
    expect(result.killed.direct ?? 0).toBeLessThanOrEqual(1);
    // Every kill moved the dead server's tanks: at least one failover per kill.
    expect(result.failovers!.moves).toBeGreaterThanOrEqual(6);
    expect(result.failovers!.restoreSeconds).toHaveLength(6);
    expect(result.committed).toBeGreaterThan(0);
    expect(result.committed + result.aborted + result.refused).toBe(150);
  }, 400_000);
});
