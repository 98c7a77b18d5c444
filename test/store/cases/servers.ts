/**
 * @module
 * Contract cases for `servers`, and for the store's lifecycle and error family.
 */
import { describe, expect, it } from 'vitest';
import {
  getServer,
  listServers,
  NotFoundError,
  recordHeartbeat,
  type ServerInput,
  StoreError,
  setServerStatus,
  upsertServer,
} from '../../../src/store/index.ts';
import { anyDate, rejection, type StoreFixture, serverId } from '../fixtures.ts';

function registration(id: string, fields: Partial<ServerInput> = {}): ServerInput {
  return {
    serverId: id,
    hostname: 'tank-server-1',
    host: '10.0.1.5',
    port: 8000,
    region: 'us-east-1',
    zone: 'us-east-1a',
    version: '2.0.0',
    publicUrl: 'http://10.0.1.5:8000',
    wsUrl: 'ws://10.0.1.5:8000',
    load: { tank_count: 0 },
    ...fields,
  };
}

export function serverCases(fixture: StoreFixture): void {
  describe('servers', () => {
    it('should insert a server with its defaults', async () => {
      const id = serverId();
      const row = await upsertServer(fixture.db, registration(id));
      expect(row).toEqual({
        ...registration(id),
        status: 'online',
        lastSeen: anyDate,
        registeredAt: anyDate,
      });
      expect(await getServer(fixture.db, id)).toEqual(row);
    });

    it('should replace every field on re-registration but keep registered_at', async () => {
      const id = serverId();
      const first = await upsertServer(fixture.db, registration(id));
      const { zone: _zone, ...withoutZone } = registration(id, {
        host: '10.0.1.9',
        port: 8100,
        status: 'degraded',
      });
      const second = await upsertServer(fixture.db, withoutZone);
      expect(second).toEqual({
        ...registration(id, { host: '10.0.1.9', port: 8100, status: 'degraded' }),
        zone: null,
        lastSeen: anyDate,
        registeredAt: first.registeredAt,
      });
      expect(second.lastSeen.getTime()).toBeGreaterThanOrEqual(first.lastSeen.getTime());
    });

    it('should record a heartbeat as online with its load', async () => {
      const id = serverId();
      await upsertServer(fixture.db, registration(id, { status: 'degraded' }));
      const load = {
        tank_count: 5,
        cpu_percent: 45.2,
        memory_mb: 2048,
        updated_at: '2026-11-25T06:00:00.000Z',
      };
      const row = await recordHeartbeat(fixture.db, { serverId: id, load });
      expect(row).toEqual({
        ...registration(id),
        status: 'online',
        load,
        lastSeen: anyDate,
        registeredAt: anyDate,
      });
    });

    it('should set a status without touching last_seen', async () => {
      const id = serverId();
      const before = await upsertServer(fixture.db, registration(id));
      const row = await setServerStatus(fixture.db, { serverId: id, status: 'offline' });
      expect(row).toEqual({ ...before, status: 'offline' });
    });

    it('should list servers by id, optionally by status', async () => {
      const [a, b] = [serverId('list-a'), serverId('list-b')];
      await upsertServer(fixture.db, registration(b));
      await upsertServer(fixture.db, registration(a));
      await setServerStatus(fixture.db, { serverId: b, status: 'offline' });
      const all = (await listServers(fixture.db)).filter((s) => s.serverId === a || s.serverId === b);
      expect(all.map((s) => [s.serverId, s.status])).toEqual([
        [a, 'online'],
        [b, 'offline'],
      ]);
      const offline = await listServers(fixture.db, { status: 'offline' });
      expect(offline.map((s) => s.serverId)).toContain(b);
      expect(offline.map((s) => s.serverId)).not.toContain(a);
    });

    it('should throw not_found for a heartbeat of an unknown server', async () => {
      const err = await rejection(recordHeartbeat(fixture.db, { serverId: serverId('ghost'), load: {} }));
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toBeInstanceOf(StoreError);
      expect(err.code).toBe('not_found');
      expect(await getServer(fixture.db, 'ghost')).toBeUndefined();
    });

    it('should refuse a status outside the closed set (check constraint), as a StoreError with a cause', async () => {
      const err = await rejection(
        upsertServer(fixture.db, registration(serverId(), { status: 'sleeping' as 'online' })),
      );
      expect(err).toBeInstanceOf(StoreError);
      expect(err.code).toBe('store_failed');
      expect(err.cause).toBeDefined();
    });
  });
}
