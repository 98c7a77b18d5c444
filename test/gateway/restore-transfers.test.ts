/**
 * @module
 * The issue's scenario through the gateway: snapshot tank C, move a fish between C and D with
 * `POST /gateway/transfer`, restore C from the snapshot (`POST /api/tanks/:id/snapshots/:sid/
 * restore`, admin), then `GET /api/audit` and the tanks' fish by uid: no uid in two tanks, none
 * lost. Two tank servers behind one gateway; the tanks are paused, so nothing is born or dies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken, OPERATOR_SCOPE } from '../../src/auth/index.ts';
import { useCleanup } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

beforeAll(async () => {
  // The snapshotter stays idle unless asked: the snapshots are the ones the test takes.
  stack = await startGatewayStack({ cleanup, servers: 2, snapshotIntervalMs: 600_000 });
}, 60_000);

const as = { user: 'alice' };

async function pausedTank(name: string): Promise<string> {
  const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    ...as,
    body: { name, initial_fish: 3 },
  });
  await stack.json(`/api/tanks/${tank.tank_id}/pause`, 200, { method: 'POST', ...as });
  return tank.tank_id;
}

async function fishOf(tankId: string): Promise<Array<{ id: number; uid: string }>> {
  const { entities } = await stack.json<{ entities: Array<{ kind: string; id: number; uid: string }> }>(
    `/api/tanks/${tankId}/entities?kind=fish`,
    200,
    as,
  );
  return entities.map(({ id, uid }) => ({ id, uid }));
}

const uidsOf = async (...tankIds: string[]) =>
  (await Promise.all(tankIds.map(fishOf))).flat().map((f) => f.uid);

async function snapshot(tankId: string): Promise<string> {
  const taken = await stack.json<{ snapshot_id: string }>(`/api/tanks/${tankId}/snapshots`, 201, {
    method: 'POST',
    ...as,
  });
  return taken.snapshot_id;
}

async function transfer(source: string, dest: string, entityId: number): Promise<void> {
  await stack.json('/gateway/transfer', 200, {
    method: 'POST',
    ...as,
    body: { source_tank_id: source, dest_tank_id: dest, entity_id: entityId },
  });
}

async function restore(tankId: string, snapshotId: string): Promise<void> {
  await stack.json(`/api/tanks/${tankId}/snapshots/${snapshotId}/restore`, 200, { method: 'POST', ...as });
}

async function expectAuditClean(): Promise<void> {
  // The audit is for operators (it sees every tank).
  const rawToken = await mintToken({ secret: SECRET, userId: 'ops', scopes: [OPERATOR_SCOPE] });
  const audit = await stack.json<{ ok: boolean; duplicated: unknown[] }>('/api/audit', 200, { rawToken });
  expect(audit.duplicated).toEqual([]);
  expect(audit.ok).toBe(true);
}

describe('a snapshot restore through the gateway', () => {
  it('should not duplicate a fish that left C for D after the snapshot', async () => {
    const c = await pausedTank('C');
    const d = await pausedTank('D');
    const taken = await snapshot(c);
    const [moving] = await fishOf(c);
    await transfer(c, d, moving!.id);
    const before = (await uidsOf(c, d)).sort();

    await restore(c, taken);

    expect(await uidsOf(c)).not.toContain(moving!.uid);
    expect(await uidsOf(d)).toContain(moving!.uid);
    expect((await uidsOf(c, d)).sort()).toEqual(before);
    await expectAuditClean();
  });

  it('should not lose a fish that arrived in C after the snapshot', async () => {
    const c = await pausedTank('C');
    const d = await pausedTank('D');
    const taken = await snapshot(c);
    const [arriving] = await fishOf(d);
    await transfer(d, c, arriving!.id);
    const before = (await uidsOf(c, d)).sort();

    await restore(c, taken);

    expect(await uidsOf(c)).toContain(arriving!.uid);
    expect(await uidsOf(d)).not.toContain(arriving!.uid);
    expect((await uidsOf(c, d)).sort()).toEqual(before);
    await expectAuditClean();
  });
});
