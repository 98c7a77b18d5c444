/**
 * @module
 * Two-phase-commit transfers in process: two tank servers (real HTTP) and the coordinator on a
 * harness PostgreSQL. Moves across servers and within one, idempotent retries, bad input, a
 * full destination, an unreachable participant, and restarts of a participant and of the
 * coordinator half-way, each checked with the audit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getTransfer, listReservations, listUnfinishedTransfers } from '../../src/store/index.ts';
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

function request(source: string, dest: string, entityId: number) {
  return { source_tank_id: source, dest_tank_id: dest, entity_id: entityId, entity_type: 'fish' as const };
}

const submit = (source: string, dest: string, entityId: number, key?: string) =>
  rig.submit(source, dest, entityId, key);

describe('transfers in process', () => {
  it('should move a fish across servers with its uid and log every step', async () => {
    const a = await rig.createTank('server-1');
    const b = await rig.createTank('server-2');
    const [id] = rig.ids(a);
    const uid = rig.uids(a)[0];
    const answer = await submit(a, b, id!, 'move-1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      success: true,
      old_id: id,
      entity_uid: uid,
      source_server: 'server-1',
      dest_server: 'server-2',
    });
    expect(rig.uids(a)).not.toContain(uid);
    expect(rig.uids(b)).toContain(uid);
    expect(rig.ids(b)).toContain(answer.body.new_id);
    const logged = await getTransfer(rig.store.db, answer.body.transfer_id as string);
    expect(logged?.transfer.status).toBe('committed');
    expect(logged?.events.map((e) => e.eventType)).toEqual([
      'initiated',
      'source_prepared',
      'prepared',
      'dest_committed',
      'source_dropped',
      'committed',
    ]);
    expect(logged?.transfer.entityPayload).toMatchObject({ kind: 'fish', uid });
    expect(await listReservations(rig.store.db)).toEqual([]);
    const audit = await rig.audit();
    expect(audit).toMatchObject({ ok: true, duplicated: [], in_flight: [] });
  });

  it('should give the same guarantees within one server', async () => {
    const a = await rig.createTank('server-1');
    const b = await rig.createTank('server-1');
    const uid = rig.uids(a)[1]!;
    const answer = await submit(a, b, rig.ids(a)[1]!);
    expect(answer.body).toMatchObject({ success: true, source_server: 'server-1', dest_server: 'server-1' });
    expect(rig.uids(b)).toContain(uid);
    expect(rig.uids(a)).not.toContain(uid);
  });

  it('should answer a retry with the first response and refuse the key for another body', async () => {
    const a = await rig.createTank('server-1');
    const b = await rig.createTank('server-2');
    const [first, second] = rig.ids(a);
    const answers = await Promise.all([1, 2, 3, 4].map(() => submit(a, b, first!, 'same-key')));
    expect(new Set(answers.map((x) => JSON.stringify(x))).size).toBe(1);
    expect(answers[0]!.status).toBe(200);
    expect(rig.uids(b).length).toBe(6);
    await expect(submit(a, b, second!, 'same-key')).rejects.toMatchObject({
      code: 'idempotency_mismatch',
      status: 422,
    });
  });

  it('should abort with 404 for an unknown fish and 409 for a full destination, leaving the fish home', async () => {
    const a = await rig.createTank('server-1');
    const full = await rig.createTank('server-2', { fish: 3, maxFish: 3 });
    const missing = await submit(a, full, 99_999);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'unknown_entity', aborted: true });
    const before = rig.uids(a);
    const fishId = rig.ids(a)[0]!;
    const refused = await submit(a, full, fishId, 'full-1');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'tank_full' });
    expect(rig.uids(a).sort()).toEqual([...before].sort());
    expect(rig.uids(full)).toHaveLength(3);
    expect((await getTransfer(rig.store.db, refused.body.transfer_id as string))?.transfer.status).toBe(
      'aborted',
    );
    expect(await listReservations(rig.store.db)).toEqual([]);
    // The same key replays the refusal.
    expect(await submit(a, full, fishId, 'full-1')).toEqual(refused);
    // The fish came back under its old local id: a fresh request with that id finds it.
    expect(rig.ids(a)).toContain(fishId);
    const b = await rig.createTank('server-2');
    const moved = await submit(a, b, fishId, 'full-1-elsewhere');
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ old_id: fishId });
  });

  it('should answer 503 and abort when a participant cannot be reached', async () => {
    const a = await rig.createTank('server-1');
    const b = await rig.createTank('server-2');
    const before = rig.uids(a);
    const answer = await rig.coordinator.submit({
      request: request(a, b, rig.ids(a)[0]!),
      key: undefined,
      requestedBy: 'alice',
      sourceServer: 'server-1',
      destServer: 'server-gone',
    });
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'unavailable', aborted: true });
    expect(rig.uids(a).sort()).toEqual([...before].sort());
    expect((await rig.audit()).ok).toBe(true);
  });
});

describe('participant steps repeated', () => {
  it('should answer every repeated step as the first time and change nothing more', async () => {
    const a = await rig.createTank('server-1');
    const b = await rig.createTank('server-2');
    const [id] = rig.ids(a);
    const uid = rig.uids(a)[0]!;
    const { transfer } = await (await import('../../src/store/index.ts')).createTransfer(rig.store.db, {
      idempotencyKey: 'repeated-steps',
      requestedBy: 'alice',
      requestHash: 'z',
      sourceTankId: a,
      destTankId: b,
      sourceServer: 'server-1',
      destServer: 'server-2',
      entityId: id!,
    });
    const t = transfer.transferId;
    const held = await rig.participants.prepareSource('server-1', t, { tank_id: a, entity_id: id! });
    expect(held).toMatchObject({ entity_uid: uid, old_id: id });
    expect(held.payload).not.toHaveProperty('local_id');
    expect(await rig.participants.prepareSource('server-1', t, { tank_id: a, entity_id: id! })).toEqual(held);
    const tankA = rig.servers.get('server-1')!.host.get(a)!;
    const tankB = rig.servers.get('server-2')!.host.get(b)!;
    expect(tankA.world.heldSlots).toBe(1);
    const room = await rig.participants.prepareDest('server-2', t, { tank_id: b, payload: held.payload });
    expect(await rig.participants.prepareDest('server-2', t, { tank_id: b, payload: held.payload })).toEqual(
      room,
    );
    expect(tankB.world.heldSlots).toBe(1);
    const arrived = await rig.participants.commitDest('server-2', t, { tank_id: b, entity_uid: uid });
    expect(arrived.new_id).toEqual(expect.any(Number));
    expect(await rig.participants.commitDest('server-2', t, { tank_id: b, entity_uid: uid })).toEqual(
      arrived,
    );
    expect(tankB.world.heldSlots).toBe(0);
    expect(rig.uids(b).filter((u) => u === uid)).toHaveLength(1);
    expect(await rig.participants.commitSource('server-1', t)).toMatchObject({ dropped: true });
    expect(await rig.participants.commitSource('server-1', t)).toMatchObject({ dropped: false });
    expect(tankA.world.heldSlots).toBe(0);
    expect(rig.uids(a)).not.toContain(uid);
    expect(await listReservations(rig.store.db)).toEqual([]);
    // A prepare arriving after the end is refused, not answered as if still prepared.
    await expect(
      rig.participants.prepareSource('server-1', t, { tank_id: a, entity_id: id! }),
    ).rejects.toMatchObject({ code: 'conflict', status: 409 });
  });
});

describe('restarts in process', () => {
  it('should bring back a held fish after the coordinator died before logging prepared (presumed abort)', async () => {
    const a = await rig.createTank('server-1');
    const b = await rig.createTank('server-2');
    const uid = rig.uids(a)[0]!;
    // The coordinator dies right after the source held the fish: only prepare-source happened.
    const { transfer } = await import('../../src/store/index.ts').then((s) =>
      s.createTransfer(rig.store.db, {
        idempotencyKey: 'died-early',
        requestedBy: 'alice',
        requestHash: 'x',
        sourceTankId: a,
        destTankId: b,
        sourceServer: 'server-1',
        destServer: 'server-2',
        entityId: rig.ids(a)[0]!,
      }),
    );
    await rig.participants.prepareSource('server-1', transfer.transferId, {
      tank_id: a,
      entity_id: rig.ids(a)[0]!,
    });
    expect(rig.uids(a)).not.toContain(uid);
    expect((await rig.audit()).ok).toBe(true);
    // The source restarts from its snapshots while the fish is held: it must not reappear.
    await rig.servers.get('server-1')!.stop();
    await rig.startServer('server-1');
    expect(rig.uids(a)).not.toContain(uid);
    expect(rig.servers.get('server-1')!.host.get(a)!.world.heldSlots).toBe(1);
    expect((await rig.audit()).ok).toBe(true);
    await rig.recovery.pass({ all: true });
    expect(rig.uids(a)).toContain(uid);
    expect(rig.uids(b)).not.toContain(uid);
    expect((await getTransfer(rig.store.db, transfer.transferId))?.transfer.status).toBe('aborted');
    expect(await listUnfinishedTransfers(rig.store.db)).toEqual([]);
  });

  it('should finish a prepared transfer after the destination restarted (commit after prepared)', async () => {
    const a = await rig.createTank('server-1');
    const b = await rig.createTank('server-2');
    const uid = rig.uids(a)[0]!;
    const store = await import('../../src/store/index.ts');
    const { transfer } = await store.createTransfer(rig.store.db, {
      idempotencyKey: 'died-prepared',
      requestedBy: 'alice',
      requestHash: 'y',
      sourceTankId: a,
      destTankId: b,
      sourceServer: 'server-1',
      destServer: 'server-2',
      entityId: rig.ids(a)[0]!,
    });
    const held = await rig.participants.prepareSource('server-1', transfer.transferId, {
      tank_id: a,
      entity_id: rig.ids(a)[0]!,
    });
    await rig.participants.prepareDest('server-2', transfer.transferId, {
      tank_id: b,
      payload: held.payload,
    });
    await store.setTransferStatus(rig.store.db, {
      transferId: transfer.transferId,
      status: 'prepared',
      entityUid: uid,
      entityPayload: held.payload,
      oldId: held.old_id ?? 0,
    });
    await rig.servers.get('server-2')!.stop();
    await rig.startServer('server-2');
    expect(rig.servers.get('server-2')!.host.get(b)!.world.heldSlots).toBe(1);
    await rig.recovery.pass({ all: true });
    expect(rig.uids(b)).toContain(uid);
    expect(rig.uids(a)).not.toContain(uid);
    const logged = await getTransfer(rig.store.db, transfer.transferId);
    expect(logged?.transfer.status).toBe('committed');
    // Commit steps repeated: no-ops.
    await rig.participants.commitDest('server-2', transfer.transferId, { tank_id: b, entity_uid: uid });
    await rig.participants.commitSource('server-1', transfer.transferId);
    expect(rig.uids(b).filter((u) => u === uid)).toHaveLength(1);
    // And the arrival survives a restart of the destination (its snapshot was written with it).
    await rig.servers.get('server-2')!.stop();
    await rig.startServer('server-2');
    expect(rig.uids(b)).toContain(uid);
    // The source restarting does not bring it back either.
    await rig.servers.get('server-1')!.stop();
    await rig.startServer('server-1');
    expect(rig.uids(a)).not.toContain(uid);
    expect((await rig.audit()).ok).toBe(true);
  });
});
