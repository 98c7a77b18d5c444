/**
 * @module
 * Two gateways, each a coordinator with its own recovery loop, on one transfer log. A gateway
 * that starts (a restart, a rolling deploy, one more behind the balancer) must leave alone the
 * transfers another living gateway is driving: before the fix its first recovery pass took
 * every unfinished transfer, so it aborted one that was half-way through its prepare elsewhere
 * and the client got a 503 though nothing had failed. Now the first pass, like every other,
 * takes only transfers nobody has touched for the idle time.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createCoordinator, type Participants } from '../../src/coordinator/index.ts';
import { noCrash } from '../../src/fault/index.ts';
import { createRecovery } from '../../src/gateway/transfers/index.ts';
import { listUnfinishedTransfers } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type Rig, startRig } from './fixture.ts';

const cleanup = useCleanup();
let rig: Rig;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  rig = await startRig({ cleanup, databaseUrl: db.url });
  await rig.startServer('server-1');
  await rig.startServer('server-2');
});

describe('a gateway starting while another drives a transfer', () => {
  it('should leave the transfer to the gateway driving it, which commits it', async () => {
    const logger = createLogger({ level: 'silent' });
    const a = await rig.createTank('server-1');
    const b = await rig.createTank('server-2');
    const uid = rig.uids(a)[0]!;
    // Gateway one's destination prepare waits until gateway two has made its first pass.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let reachedDest: () => void = () => {};
    const atDest = new Promise<void>((resolve) => (reachedDest = resolve));
    const slow: Participants = {
      ...rig.participants,
      async prepareDest(...args) {
        reachedDest();
        await held;
        return rig.participants.prepareDest(...args);
      },
    };
    const one = createCoordinator({
      db: rig.store.db,
      participants: slow,
      realtime: rig.realtime,
      logger,
      crash: noCrash,
    });
    const answer = one.submit({
      request: { source_tank_id: a, dest_tank_id: b, entity_id: rig.ids(a)[0]!, entity_type: 'fish' },
      key: 'driven-elsewhere',
      requestedBy: 'alice',
      sourceServer: 'server-1',
      destServer: 'server-2',
    });
    await atDest;

    const two = createRecovery({
      db: rig.store.db,
      coordinator: createCoordinator({
        db: rig.store.db,
        participants: rig.participants,
        realtime: rig.realtime,
        logger,
        crash: noCrash,
      }),
      logger,
      intervalMs: 60_000,
      idleMs: 30_000,
    });
    cleanup.add(() => two.stop());
    two.start();
    // Queued behind the start's own pass: once it resolves, that pass is over.
    await two.pass();
    release();

    expect((await answer).status).toBe(200);
    expect(rig.uids(b)).toContain(uid);
    expect(rig.uids(a)).not.toContain(uid);
    expect(await listUnfinishedTransfers(rig.store.db)).toEqual([]);
    expect((await rig.audit()).ok).toBe(true);
  });
});
