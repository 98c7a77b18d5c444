/**
 * @module
 * A snapshot taken while the tank is being deleted (found by the fuzzer, `test/fuzz/`), on
 * PostgreSQL: the snapshot insert holds the tank's location FOR SHARE and then checks its key on
 * the tank row, while the delete locked the tank row and cascaded to the location, so PostgreSQL
 * broke the deadlock by failing one of them (a 500); and a snapshot written just before the
 * delete took it away had no row to show (a 500 too). Each side now gets a 2xx or a 4xx.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup, useDatabase } from '../support/index.ts';
import { startTestServer, type TestServer } from './fixture.ts';

const cleanup = useCleanup();
let t: TestServer;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  t = await startTestServer({ cleanup, databaseUrl: db.url });
}, 120_000);

describe('a snapshot racing a delete', () => {
  it('should answer both with no 5xx, however they interleave', async () => {
    const statuses = new Map<string, number>();
    const count = async (what: string, res: Promise<Response>) => {
      const r = await res;
      const key = `${what} ${r.status} ${r.status >= 400 ? ((await r.json()) as { code: string }).code : ''}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    };
    for (let round = 0; round < 30; round++) {
      const { tank } = await t.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
        method: 'POST',
        user: 'alice',
        body: { name: `Race ${round}`, initial_fish: 3 },
      });
      const id = tank.tank_id;
      const snapshot = () =>
        count('snapshot', t.request(`/api/tanks/${id}/snapshots`, { method: 'POST', user: 'alice' }));
      await Promise.all([
        snapshot(),
        snapshot(),
        snapshot(),
        count('delete', t.request(`/api/tanks/${id}`, { method: 'DELETE', user: 'alice' })),
        snapshot(),
      ]);
    }
    const fivexx = [...statuses].filter(([key]) => / 5\d\d /.test(key));
    expect(fivexx, JSON.stringify([...statuses])).toEqual([]);
    expect(statuses.get('delete 200 ')).toBe(30);
  });
});
