/**
 * @module
 * Contract cases for the coordinator log's writes under concurrency: calls made together share
 * one statement, yet each keeps the meaning it has alone (its own row, events, and error).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  createTransfer,
  getTransfer,
  NotFoundError,
  StoreError,
  setTransferStatus,
} from '../../../src/store/index.ts';
import { anyDate, type StoreFixture } from '../fixtures.ts';
import { event, initiated, request } from './transfers.ts';

export function transferBatchCases(fixture: StoreFixture): void {
  describe('transfers, concurrent writes', () => {
    it('should log many concurrent transfers in one statement, each with its initiated event', async () => {
      const reqs = Array.from({ length: 16 }, (_, n) => request({ entityId: n, eventData: { n } }));
      const results = await Promise.all(reqs.map((req) => createTransfer(fixture.db, req)));
      expect(results).toEqual(reqs.map((req) => ({ transfer: initiated(req), created: true })));
      // One statement: every row has the same now().
      expect(new Set(results.map((r) => r.transfer.createdAt.getTime())).size).toBe(1);
      for (const [n, { transfer }] of results.entries()) {
        expect(await getTransfer(fixture.db, transfer.transferId)).toEqual({
          transfer,
          events: [event(transfer.transferId, 'initiated', { n })],
        });
      }
    });

    it('should create one transfer for concurrent calls sharing a key among others', async () => {
      const shared = request();
      const calls = [
        { ...shared, eventData: { call: 0 } },
        request(),
        { ...shared, eventData: { call: 2 } },
        request(),
        { ...shared, eventData: { call: 4 } },
      ];
      const results = await Promise.all(calls.map((req) => createTransfer(fixture.db, req)));
      expect(results.map((r) => r.created)).toEqual([true, true, false, true, false]);
      const { transferId } = results[0]!.transfer;
      expect(results.filter((_, n) => n % 2 === 0).map((r) => r.transfer)).toEqual([
        results[0]!.transfer,
        results[0]!.transfer,
        results[0]!.transfer,
      ]);
      expect(new Set(results.map((r) => r.transfer.transferId)).size).toBe(3);
      expect((await getTransfer(fixture.db, transferId))?.events).toEqual([
        event(transferId, 'initiated', { call: 0 }),
      ]);
    });

    it('should fail only the call whose row cannot go in', async () => {
      const good = [request(), request()];
      const [a, bad, b] = await Promise.allSettled([
        createTransfer(fixture.db, good[0]!),
        createTransfer(fixture.db, request({ sourceTankId: 'not-a-uuid' })),
        createTransfer(fixture.db, good[1]!),
      ]);
      expect(a).toEqual({ status: 'fulfilled', value: { transfer: initiated(good[0]!), created: true } });
      expect(b).toEqual({ status: 'fulfilled', value: { transfer: initiated(good[1]!), created: true } });
      expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'store_failed' } });
      expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
    });

    it('should apply concurrent status changes each on its own terms, failing only the conflict and the unknown', async () => {
      const ids = [];
      for (let n = 0; n < 5; n++) ids.push((await createTransfer(fixture.db, request())).transfer.transferId);
      const [toPrepare, toAbort, finished, toCommit, retried] = ids as [
        string,
        string,
        string,
        string,
        string,
      ];
      await setTransferStatus(fixture.db, { transferId: finished, status: 'aborted', error: 'dest full' });
      for (const transferId of [toCommit, retried])
        await setTransferStatus(fixture.db, {
          transferId,
          status: 'prepared',
          entityUid: `uid-${transferId}`,
          oldId: 7,
        });
      const before = await Promise.all(ids.map(async (id) => (await getTransfer(fixture.db, id))!.transfer));
      const response = { success: true };

      const settled = await Promise.allSettled([
        setTransferStatus(fixture.db, {
          transferId: toPrepare,
          status: 'prepared',
          expected: ['initiated'],
          entityUid: 'fish-1',
          entityPayload: { energy: 2 },
          oldId: 11,
          after: [{ eventType: 'source_prepared', eventData: { server: 'srv-1' } }],
          eventData: { dest: 'ok' },
        }),
        setTransferStatus(fixture.db, { transferId: toAbort, status: 'aborted', error: 'source gone' }),
        setTransferStatus(fixture.db, { transferId: finished, status: 'committed', expected: ['prepared'] }),
        setTransferStatus(fixture.db, { transferId: randomUUID(), status: 'aborted' }),
        setTransferStatus(fixture.db, {
          transferId: toCommit,
          status: 'committed',
          expected: ['prepared'],
          newId: 12,
          response,
          after: [{ eventType: 'dest_committed' }, { eventType: 'source_dropped' }],
        }),
        setTransferStatus(fixture.db, { transferId: retried, status: 'prepared', entityUid: 'ignored' }),
      ]);

      const [prepared, aborted, conflict, unknown, committed, same] = settled;
      const changed = { updatedAt: anyDate };
      expect(prepared).toEqual({
        status: 'fulfilled',
        value: {
          ...before[0],
          ...changed,
          status: 'prepared',
          entityUid: 'fish-1',
          entityPayload: { energy: 2 },
          oldId: 11,
        },
      });
      expect(aborted).toEqual({
        status: 'fulfilled',
        value: { ...before[1], ...changed, status: 'aborted', error: 'source gone' },
      });
      expect((conflict as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      expect((unknown as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
      // Columns this change does not set keep what an earlier step stored.
      expect(committed).toEqual({
        status: 'fulfilled',
        value: { ...before[3], ...changed, status: 'committed', newId: 12, response },
      });
      expect(same).toEqual({ status: 'fulfilled', value: before[4] });

      const eventTypes = async (id: string) =>
        (await getTransfer(fixture.db, id))!.events.map((e) => [e.eventType, e.eventData]);
      expect(await eventTypes(toPrepare)).toEqual([
        ['initiated', {}],
        ['source_prepared', { server: 'srv-1' }],
        ['prepared', { dest: 'ok' }],
      ]);
      expect(await eventTypes(toAbort)).toEqual([
        ['initiated', {}],
        ['aborted', {}],
      ]);
      expect((await getTransfer(fixture.db, finished))!.transfer).toEqual(before[2]);
      expect(await eventTypes(toCommit)).toEqual([
        ['initiated', {}],
        ['prepared', {}],
        ['dest_committed', {}],
        ['source_dropped', {}],
        ['committed', {}],
      ]);
      expect(await eventTypes(retried)).toEqual([
        ['initiated', {}],
        ['prepared', {}],
      ]);
    });

    it('should apply concurrent changes of one transfer in the order they were made', async () => {
      const { transfer } = await createTransfer(fixture.db, request());
      const { transferId } = transfer;
      const [prepared, committed] = await Promise.all([
        setTransferStatus(fixture.db, { transferId, status: 'prepared', expected: ['initiated'], oldId: 3 }),
        setTransferStatus(fixture.db, { transferId, status: 'committed', expected: ['prepared'], newId: 4 }),
      ]);
      expect(prepared).toMatchObject({ status: 'prepared', oldId: 3, newId: null });
      expect(committed).toMatchObject({ status: 'committed', oldId: 3, newId: 4 });
      expect((await getTransfer(fixture.db, transferId))?.events.map((e) => e.eventType)).toEqual([
        'initiated',
        'prepared',
        'committed',
      ]);
    });
  });
}
