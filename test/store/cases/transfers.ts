/**
 * @module
 * Contract cases for the coordinator's log (`transfers`, append-only `transfer_events`) and the
 * participants' `transfer_reservations`.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  appendTransferEvent,
  ConflictError,
  type CreateTransfer,
  createLocation,
  createTransfer,
  deleteReservation,
  getReservation,
  getTransfer,
  getTransferByKey,
  listReservations,
  listTransfersByTank,
  listUnfinishedTransfers,
  NotFoundError,
  putReservation,
  reserveFenced,
  saveSnapshots,
  setTransferStatus,
  settleReservation,
  transferredUids,
} from '../../../src/store/index.ts';
import { anyDate, newTank, rejection, type StoreFixture, serverId } from '../fixtures.ts';

export function request(fields: Partial<CreateTransfer> = {}): CreateTransfer {
  return {
    idempotencyKey: randomUUID(),
    requestedBy: 'alice',
    requestHash: 'sha256:body',
    sourceTankId: randomUUID(),
    destTankId: randomUUID(),
    sourceServer: 'srv-1',
    destServer: 'srv-2',
    entityId: 42,
    ...fields,
  };
}

/** The row a fresh transfer has: the request, no outcome yet. */
export function initiated(req: CreateTransfer) {
  const { eventData: _eventData, ...fields } = req;
  return {
    transferId: expect.any(String),
    entityUid: null,
    entityPayload: null,
    oldId: null,
    newId: null,
    error: null,
    response: null,
    ...fields,
    status: 'initiated',
    createdAt: anyDate,
    updatedAt: anyDate,
  };
}

/** The `code` of an error and of each of its causes (drizzle wraps the driver's error). */
function codesOf(err: unknown): unknown[] {
  const codes = [];
  for (let e = err; e instanceof Error; e = e.cause) codes.push((e as { code?: unknown }).code);
  return codes;
}

export function event(transferId: string, eventType: string, eventData: Record<string, unknown> = {}) {
  return { eventId: expect.any(Number), transferId, eventType, eventData, createdAt: anyDate };
}

export function transferCases(fixture: StoreFixture): void {
  describe('transfers', () => {
    it('should log a new transfer with its initiated event', async () => {
      const req = request({ eventData: { by: 'alice' } });
      const { transfer, created } = await createTransfer(fixture.db, req);
      expect(created).toBe(true);
      expect(transfer).toEqual(initiated(req));
      expect(await getTransfer(fixture.db, transfer.transferId)).toEqual({
        transfer,
        events: [event(transfer.transferId, 'initiated', { by: 'alice' })],
      });
      expect(await getTransferByKey(fixture.db, req)).toEqual(transfer);
      expect(await getTransferByKey(fixture.db, { ...req, requestedBy: 'bob' })).toBeUndefined();
    });

    it('should return the first transfer for a reused idempotency key, without a second event', async () => {
      const req = request();
      const first = await createTransfer(fixture.db, req);
      const again = await createTransfer(fixture.db, { ...req, requestHash: 'sha256:other', entityId: 7 });
      expect(again).toEqual({ transfer: first.transfer, created: false });
      expect((await getTransfer(fixture.db, first.transfer.transferId))?.events).toHaveLength(1);
    });

    it("should give another user's request with the same key its own transfer", async () => {
      const req = request();
      const alices = await createTransfer(fixture.db, req);
      const bobs = await createTransfer(fixture.db, { ...req, requestedBy: 'bob', entityId: 7 });
      expect(bobs.created).toBe(true);
      expect(bobs.transfer.transferId).not.toBe(alices.transfer.transferId);
      expect(bobs.transfer).toMatchObject({
        idempotencyKey: req.idempotencyKey,
        requestedBy: 'bob',
        entityId: 7,
      });
      // Both at once, in one batch: one row each.
      const key = randomUUID();
      const both = await Promise.all(
        ['carol', 'dave'].map((requestedBy) =>
          createTransfer(fixture.db, request({ idempotencyKey: key, requestedBy })),
        ),
      );
      expect(both.map((r) => [r.created, r.transfer.requestedBy])).toEqual([
        [true, 'carol'],
        [true, 'dave'],
      ]);
    });

    it('should create one transfer for concurrent requests with one key', async () => {
      const req = request();
      const results = await Promise.all(Array.from({ length: 8 }, () => createTransfer(fixture.db, req)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.transfer.transferId)).size).toBe(1);
      expect((await getTransfer(fixture.db, results[0]!.transfer.transferId))?.events).toHaveLength(1);
    });

    it('should move through its statuses, logging an event for each change', async () => {
      const { transfer } = await createTransfer(fixture.db, request());
      const { transferId } = transfer;
      const prepared = await setTransferStatus(fixture.db, {
        transferId,
        status: 'prepared',
        entityUid: 'fish-uid-1',
        entityPayload: { genome: [0.5], energy: 12.5 },
        oldId: 42,
        eventData: { source: 'ok', dest: 'ok' },
      });
      expect(prepared).toEqual({
        ...transfer,
        status: 'prepared',
        entityUid: 'fish-uid-1',
        entityPayload: { genome: [0.5], energy: 12.5 },
        oldId: 42,
        updatedAt: anyDate,
      });
      // A retried step is a no-op: same row, no new event.
      expect(await setTransferStatus(fixture.db, { transferId, status: 'prepared' })).toEqual(prepared);
      const response = { success: true, transfer_id: transferId, old_id: 42, new_id: 105 };
      const committed = await setTransferStatus(fixture.db, {
        transferId,
        status: 'committed',
        expected: ['prepared'],
        newId: 105,
        response,
        after: [{ eventType: 'dest_committed', eventData: { new_id: 105 } }, { eventType: 'source_dropped' }],
      });
      expect(committed).toEqual({
        ...prepared,
        status: 'committed',
        newId: 105,
        response,
        updatedAt: anyDate,
      });
      expect((await getTransfer(fixture.db, transferId))?.events).toEqual([
        event(transferId, 'initiated'),
        event(transferId, 'prepared', { source: 'ok', dest: 'ok' }),
        event(transferId, 'dest_committed', { new_id: 105 }),
        event(transferId, 'source_dropped'),
        event(transferId, 'committed'),
      ]);
    });

    it('should refuse to leave a final status (conflict) and to change an unknown transfer (not_found)', async () => {
      const { transfer } = await createTransfer(fixture.db, request());
      await setTransferStatus(fixture.db, {
        transferId: transfer.transferId,
        status: 'aborted',
        error: 'dest full',
      });
      const err = await rejection(
        setTransferStatus(fixture.db, { transferId: transfer.transferId, status: 'committed' }),
      );
      expect(err).toBeInstanceOf(ConflictError);
      expect((await getTransfer(fixture.db, transfer.transferId))?.transfer).toMatchObject({
        status: 'aborted',
        error: 'dest full',
      });
      expect(
        await rejection(setTransferStatus(fixture.db, { transferId: randomUUID(), status: 'aborted' })),
      ).toBeInstanceOf(NotFoundError);
      expect(
        await rejection(appendTransferEvent(fixture.db, { transferId: randomUUID(), eventType: 'x' })),
      ).toBeInstanceOf(NotFoundError);
    });

    it('should append free-form events in order', async () => {
      const { transfer } = await createTransfer(fixture.db, request());
      const appended = await appendTransferEvent(fixture.db, {
        transferId: transfer.transferId,
        eventType: 'dest_prepared',
        eventData: { server: 'srv-2' },
      });
      expect(appended).toEqual(event(transfer.transferId, 'dest_prepared', { server: 'srv-2' }));
      expect((await getTransfer(fixture.db, transfer.transferId))?.events.map((e) => e.eventType)).toEqual([
        'initiated',
        'dest_prepared',
      ]);
    });

    it('should refuse to update, delete or truncate transfer_events (append-only)', async () => {
      const { transfer } = await createTransfer(fixture.db, request());
      const id = transfer.transferId;
      for (const statement of [
        sql`update transfer_events set event_type = 'committed' where transfer_id = ${id}`,
        sql`delete from transfer_events where transfer_id = ${id}`,
        sql`truncate transfer_events cascade`,
      ]) {
        const err = await rejection(fixture.db.execute(statement));
        expect(codesOf(err)).toContain('42501');
      }
      expect((await getTransfer(fixture.db, id))?.events).toEqual([event(id, 'initiated')]);
    });

    it('should list the transfers of a tank, newest first, from either side', async () => {
      const tank = randomUUID();
      const out = (await createTransfer(fixture.db, request({ sourceTankId: tank }))).transfer;
      const into = (await createTransfer(fixture.db, request({ destTankId: tank }))).transfer;
      await createTransfer(fixture.db, request());
      const listed = await listTransfersByTank(fixture.db, tank);
      expect(new Set(listed.map((t) => t.transferId))).toEqual(new Set([out.transferId, into.transferId]));
      expect(listed[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(listed[1]!.createdAt.getTime());
    });

    it('should list unfinished transfers oldest first, optionally only idle ones', async () => {
      const open = (await createTransfer(fixture.db, request())).transfer;
      const prepared = (await createTransfer(fixture.db, request())).transfer;
      await setTransferStatus(fixture.db, { transferId: prepared.transferId, status: 'prepared' });
      const done = (await createTransfer(fixture.db, request())).transfer;
      await setTransferStatus(fixture.db, { transferId: done.transferId, status: 'aborted' });
      const ours = new Set([open.transferId, prepared.transferId, done.transferId]);
      const unfinished = (await listUnfinishedTransfers(fixture.db)).filter((t) => ours.has(t.transferId));
      expect(unfinished.map((t) => [t.transferId, t.status])).toEqual([
        [open.transferId, 'initiated'],
        [prepared.transferId, 'prepared'],
      ]);
      const idle = await listUnfinishedTransfers(fixture.db, {
        idleSince: new Date(open.createdAt.getTime() - 60_000),
      });
      expect(idle.filter((t) => ours.has(t.transferId))).toEqual([]);
    });

    it('should tell which fish a transfer has named on a tank: by the log or by a reservation', async () => {
      const tank = randomUUID();
      const logged = async (uid: string, fields: Partial<CreateTransfer>) => {
        const { transfer } = await createTransfer(fixture.db, request(fields));
        await setTransferStatus(fixture.db, {
          transferId: transfer.transferId,
          status: 'prepared',
          entityUid: uid,
        });
      };
      await logged('t.out', { sourceTankId: tank });
      await logged('t.in', { destTankId: tank });
      await logged('t.elsewhere', {});
      // Not prepared: the log names no uid yet, but the source's reservation does.
      await createTransfer(fixture.db, request({ sourceTankId: tank }));
      await putReservation(fixture.db, {
        transferId: randomUUID(),
        tankId: tank,
        serverId: serverId(),
        role: 'source',
        entityUid: 't.held',
        payload: {},
      });
      const asked = ['t.out', 't.in', 't.elsewhere', 't.held', 't.never'];
      expect(await transferredUids(fixture.db, { tankId: tank, uids: asked })).toEqual(
        new Set(['t.out', 't.in', 't.held']),
      );
      expect(await transferredUids(fixture.db, { tankId: tank, uids: ['t.in'] })).toEqual(new Set(['t.in']));
      expect(await transferredUids(fixture.db, { tankId: tank, uids: [] })).toEqual(new Set());
      expect(await transferredUids(fixture.db, { tankId: 'not-a-uuid', uids: asked })).toEqual(new Set());
    });
  });

  describe('transfer reservations', () => {
    function reservation(fields: {
      transferId: string;
      serverId: string;
      role: 'source' | 'dest';
      tankId?: string;
    }) {
      return {
        tankId: randomUUID(),
        entityUid: 'fish-uid-9',
        payload: { energy: 3.25, genome: [1, 2] },
        ...fields,
      };
    }
    const opened = { state: 'open', seq: 0, createdAt: anyDate };

    it('should keep the first reservation of a side when a prepare is retried', async () => {
      const transferId = randomUUID();
      const server = serverId();
      const first = await putReservation(
        fixture.db,
        reservation({ transferId, serverId: server, role: 'source' }),
      );
      expect(first).toEqual({
        reservation: {
          ...reservation({ transferId, serverId: server, role: 'source', tankId: first.reservation.tankId }),
          ...opened,
        },
        created: true,
      });
      const again = await putReservation(fixture.db, {
        ...reservation({ transferId, serverId: server, role: 'source' }),
        payload: {},
      });
      expect(again).toEqual({ reservation: first.reservation, created: false });
      expect(await getReservation(fixture.db, { transferId, role: 'source' })).toEqual(first.reservation);
      expect(await getReservation(fixture.db, { transferId, role: 'dest' })).toBeUndefined();
    });

    it('should list reservations by server and by tank, and release each once', async () => {
      const [a, b] = [serverId('a'), serverId('b')];
      const transferId = randomUUID();
      const source = (
        await putReservation(fixture.db, reservation({ transferId, serverId: a, role: 'source' }))
      ).reservation;
      const dest = (await putReservation(fixture.db, reservation({ transferId, serverId: b, role: 'dest' })))
        .reservation;
      expect(await listReservations(fixture.db, { serverId: a })).toEqual([source]);
      expect(await listReservations(fixture.db, { tankId: dest.tankId })).toEqual([dest]);
      expect(await deleteReservation(fixture.db, { transferId, role: 'source' })).toEqual(source);
      expect(await deleteReservation(fixture.db, { transferId, role: 'source' })).toBeUndefined();
      expect(await listReservations(fixture.db, { serverId: a })).toEqual([]);
      expect((await listReservations(fixture.db)).map((r) => r.transferId)).toContain(transferId);
    });

    it('should hold a fish only while the tank is located here, and settle each side once', async () => {
      const server = serverId();
      const tank = await newTank(fixture);
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
      const side = (seq: number) => ({
        ...reservation({ transferId: randomUUID(), tankId: tank.tankId, serverId: server, role: 'source' }),
        seq,
      });
      const held = side(1);
      expect(await reserveFenced(fixture.db, { reservation: held, epoch: 1 })).toEqual({ reserved: true });
      // A retried prepare writes nothing; neither does a server whose epoch is gone.
      expect(await reserveFenced(fixture.db, { reservation: held, epoch: 1 })).toEqual({ reserved: false });
      const stale = side(2);
      expect(await reserveFenced(fixture.db, { reservation: stale, epoch: 2 })).toEqual({ reserved: false });
      expect(
        await getReservation(fixture.db, { transferId: stale.transferId, role: 'source' }),
      ).toBeUndefined();

      const settle = (epoch?: number) =>
        settleReservation(fixture.db, {
          transferId: held.transferId,
          role: 'source',
          state: 'returned',
          seq: 3,
          serverId: server,
          epoch,
        });
      expect(await settle(2)).toBeUndefined(); // fenced: still open
      expect((await getReservation(fixture.db, { transferId: held.transferId, role: 'source' }))?.state).toBe(
        'open',
      );
      expect(await settle(1)).toMatchObject({ state: 'returned', seq: 3 });
      expect(await settle(1)).toBeUndefined(); // settled once
      // A settled side is the tank's journal: not open any more, not dropped as room is.
      expect(await listReservations(fixture.db, { tankId: tank.tankId })).toEqual([]);
      expect(
        await deleteReservation(fixture.db, { transferId: held.transferId, role: 'source' }),
      ).toBeUndefined();
      expect(
        (await listReservations(fixture.db, { tankId: tank.tankId, settled: true })).map((r) => [
          r.state,
          r.seq,
        ]),
      ).toEqual([['returned', 3]]);
    });

    it('should answer each of many concurrent reservations and settlements for itself', async () => {
      const server = serverId();
      const tank = await newTank(fixture);
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
      const sides = Array.from({ length: 8 }, (_, i) => ({
        ...reservation({ transferId: randomUUID(), tankId: tank.tankId, serverId: server, role: 'source' }),
        seq: i + 1,
      }));
      // Odd ones carry an epoch the tank no longer has: fenced, while the even ones go in.
      const reserved = await Promise.all(
        sides.map((r, i) => reserveFenced(fixture.db, { reservation: r, epoch: i % 2 === 0 ? 1 : 2 })),
      );
      expect(reserved.map((r) => r.reserved)).toEqual(sides.map((_, i) => i % 2 === 0));
      const settled = await Promise.all(
        sides.map((r, i) =>
          settleReservation(fixture.db, {
            transferId: r.transferId,
            role: 'source',
            state: i % 4 === 0 ? 'departed' : 'returned',
            seq: i % 4 === 0 ? undefined : 100 + i,
          }),
        ),
      );
      expect(settled.map((r) => r && [r.transferId, r.state, r.seq])).toEqual(
        sides.map((r, i) =>
          i % 2 === 1
            ? undefined
            : [r.transferId, i % 4 === 0 ? 'departed' : 'returned', i % 4 === 0 ? i + 1 : 100 + i],
        ),
      );
    });

    it('should drop the journal entries a saved snapshot covers, and only those', async () => {
      const server = serverId();
      const tank = await newTank(fixture);
      await createLocation(fixture.db, { tankId: tank.tankId, serverId: server });
      const settled = async (seq: number, state: 'departed' | 'arrived' | 'returned' | 'open') => {
        const r = {
          ...reservation({ transferId: randomUUID(), tankId: tank.tankId, serverId: server, role: 'source' }),
          seq,
        };
        await reserveFenced(fixture.db, { reservation: r, epoch: 1 });
        if (state !== 'open')
          await settleReservation(fixture.db, { transferId: r.transferId, role: 'source', state, seq });
      };
      await settled(1, 'departed');
      await settled(2, 'returned');
      await settled(3, 'open');
      await settled(4, 'departed');
      const journal = async () =>
        (await listReservations(fixture.db, { tankId: tank.tankId, settled: true })).map((r) => r.seq);
      const save = (journalSeq: number, epoch = 1) =>
        saveSnapshots(fixture.db, [
          { tankId: tank.tankId, serverId: server, epoch, frame: journalSeq, state: {}, journalSeq },
        ]);
      // Fenced: no snapshot, so nothing is covered.
      expect((await save(4, 2)).fenced).toEqual([tank.tankId]);
      expect(await journal()).toEqual([1, 2, 3, 4]);
      // Covers 1–3: the settled ones go, the open one stays; 4 is newer than the snapshot.
      expect((await save(3)).saved).toHaveLength(1);
      expect(await journal()).toEqual([3, 4]);
      expect((await save(4)).saved).toHaveLength(1);
      expect(await journal()).toEqual([3]);
    });
  });
}
