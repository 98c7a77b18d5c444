/**
 * @module
 * A failover back onto a server that still runs an old copy of the tank. The gateway may move a
 * tank on after its adopt call failed or timed out although the server did adopt it, and a
 * paused tank's copy writes nothing that would fence it: that server keeps the copy, while
 * transfers change the tank where it runs now. When a later failover brings the tank back, the
 * adopt must restore it from what is durable (snapshot and journal), not bump the old copy's
 * epoch: that copy lacks the fish that arrived meanwhile (lost) and still shows the ones that
 * left (found twice). Found by the transfer soak with failover on (`soak-failover.test.ts`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createServerClient } from '../../src/server-client/index.ts';
import { getLocation, moveTank } from '../../src/store/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type Rig, SECRET, startRig } from './fixture.ts';

const cleanup = useCleanup();
let rig: Rig;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  rig = await startRig({ cleanup, databaseUrl: db.url });
  for (const id of ['server-1', 'server-2', 'server-3'])
    await rig.startServer(id, { snapshotIntervalMs: 600_000 });
});

const client = () =>
  createServerClient({
    secret: SECRET,
    resolveServer: (id) => {
      const s = rig.servers.get(id);
      return s ? { baseUrl: s.url } : undefined;
    },
  });

/** The failover's move of one tank: the location one epoch on, then the new server adopts it. */
async function failOver(tankId: string, to: string): Promise<number> {
  const { epoch } = (await getLocation(rig.store.db, tankId))!;
  const next = await moveTank(rig.store.db, { tankId, toServerId: to, expectedEpoch: epoch });
  await client().adoptTank(to, tankId, next);
  return next;
}

const uidsOn = (serverId: string, tankId: string) => {
  const world = rig.servers.get(serverId)!.host.get(tankId)!.world;
  return world.fish.uid.slice(0, world.fish.count).sort();
};

async function transfer(source: string, sourceServer: string, dest: string, destServer: string, uid: string) {
  const world = rig.servers.get(sourceServer)!.host.get(source)!.world;
  const entityId = world.fish.id[world.fish.uid.indexOf(uid)]!;
  const res = await rig.coordinator.submit({
    request: { source_tank_id: source, dest_tank_id: dest, entity_id: entityId, entity_type: 'fish' },
    key: undefined,
    requestedBy: 'alice',
    sourceServer,
    destServer,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe('adopting a tank this server still runs an old copy of', () => {
  it('should restore it from the snapshot and journal, with the fish that came and went meanwhile', async () => {
    const c = await rig.createTank('server-1', { fish: 3 });
    const d = await rig.createTank('server-2', { fish: 3 });
    const before = [...uidsOn('server-1', c), ...uidsOn('server-2', d)].sort();

    // c fails over to server-3; server-1 keeps its copy (the gateway's adopt "timed out" there).
    await failOver(c, 'server-3');
    expect(rig.servers.get('server-1')!.host.get(c)).toBeDefined();

    // On server-3, one fish arrives from d and another leaves for d.
    const arriving = uidsOn('server-2', d)[0]!;
    await transfer(d, 'server-2', c, 'server-3', arriving);
    const leaving = uidsOn('server-3', c).find((u) => u !== arriving)!;
    await transfer(c, 'server-3', d, 'server-2', leaving);

    // Back onto server-1 (server-3 "died"): its adopt must not revive the old copy.
    const epoch = await failOver(c, 'server-1');
    const adopted = rig.servers.get('server-1')!.host.get(c)!;
    expect(adopted.epoch).toBe(epoch);
    expect(uidsOn('server-1', c)).toContain(arriving);
    expect(uidsOn('server-1', c)).not.toContain(leaving);
    // Every fish exactly once across the tank's owner and d.
    expect([...uidsOn('server-1', c), ...uidsOn('server-2', d)].sort()).toEqual(before);
  });
});
