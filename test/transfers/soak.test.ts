/**
 * @module
 * A short transfer soak with real processes (three `tankworld server`, one `tankworld
 * gateway`, on PostgreSQL and a Consul agent of its own): 80 random transfers, 8 at once, while
 * a server or the gateway is SIGKILLed and restarted three times. After recovery every fish is
 * in exactly one tank: none lost, none duplicated, none made up, and the audit agrees. Then the
 * same with running tanks, where no uid may turn up twice. The driver is the one `npm run bench
 * transfer-soak` runs with 1000 transfers.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/support/index.ts';
import { startConsul, useCleanup, useDatabase } from '../support/index.ts';

const cleanup = useCleanup();

describe('transfer soak under SIGKILL (real processes)', () => {
  it('should lose and duplicate no fish over 80 random transfers with 3 kills and restarts', async () => {
    const [consul, database] = await Promise.all([startConsul({ cleanup }), useDatabase({ cleanup })]);
    const result = await runSoak({
      databaseUrl: database.url,
      consulAddr: consul.httpAddr,
      transfers: 80,
      kills: 3,
      seed: 8,
    });
    console.log(`transfer soak: ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, unknown: 0, kills: 3, auditOk: true });
    expect(result.fish).toBe(60);
    expect(result.committed).toBeGreaterThan(0);
    expect(result.committed + result.aborted + result.refused).toBe(80);
  }, 240_000);

  it('should duplicate no fish in running tanks (births, deaths, journal replays) over 60 transfers with 3 kills', async () => {
    const [consul, database] = await Promise.all([startConsul({ cleanup }), useDatabase({ cleanup })]);
    const result = await runSoak({
      databaseUrl: database.url,
      consulAddr: consul.httpAddr,
      transfers: 60,
      kills: 3,
      seed: 9,
      running: true,
    });
    console.log(`running transfer soak: ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ duplicated: 0, kills: 3, auditOk: true });
    expect(result.committed).toBeGreaterThan(0);
    expect(result.committed + result.aborted + result.refused).toBe(60);
  }, 240_000);
});
