/**
 * @module
 * Tank search (`GET /api/tanks`) through the gateway on a real PostgreSQL: each filter alone,
 * filters together, every sort in both orders paged three at a time (the pages joined equal the
 * one-page answer, and tanks created between pages neither repeat nor hide a row), and each bad
 * parameter refused with a 400 naming it. The fish counts and generations are written the way a
 * server's heartbeat writes them (`recordTankStats`), fenced by the location row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { recordTankStats } from '../../src/store/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;

interface Listed {
  tank: {
    tank_id: string;
    name: string;
    owner: string;
    is_public: boolean;
    created_at: string;
    server_id: string;
  };
}
interface Page {
  tanks: Listed[];
  next_cursor: string | null;
}

/** Per tank made in `beforeAll`: what the test set, to compute each expected answer. */
interface Made {
  id: string;
  name: string;
  owner: string;
  isPublic: boolean;
  serverId: string;
  fish: number;
  generation: number;
  createdAt: string;
}
const made: Made[] = [];

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl: db.url, regions: ['eu', 'us'] });
  for (let i = 0; i < 12; i++) {
    const owner = i % 3 === 0 ? 'bob' : 'alice';
    const isPublic = i % 4 !== 1;
    const name = `${i % 2 === 0 ? 'Coral reef' : 'Kelp forest'} ${String(i).padStart(2, '0')}`;
    const serverId = i < 5 ? 'server-1' : 'server-2';
    const { tank } = await stack.json<Listed>('/api/tanks', 201, {
      method: 'POST',
      user: owner,
      body: { name, is_public: isPublic, initial_fish: 0, server_id: serverId },
    });
    made.push({
      id: tank.tank_id,
      name,
      owner,
      isPublic,
      serverId,
      fish: (i * 7) % 20,
      generation: i % 4,
      createdAt: tank.created_at,
    });
  }
  for (const serverId of ['server-1', 'server-2']) {
    const rows = made
      .filter((m) => m.serverId === serverId)
      .map((m) => ({ tankId: m.id, fishCount: m.fish, generation: m.generation }));
    // Rows whose figures are already so (a new tank's 0 and 0) are left alone.
    const changed = rows.filter((r) => r.fishCount !== 0 || r.generation !== 0).length;
    expect(await recordTankStats(stack.store.db, { serverId, rows })).toBe(changed);
  }
}, 120_000);

/** What carol (no tank, no grant: public ones only) or alice may see. */
function visibleTo(user: string): Made[] {
  return made.filter((m) => m.isPublic || m.owner === user);
}

async function ids(query: string, user = 'alice'): Promise<string[]> {
  const page = await stack.json<Page>(`/api/tanks?limit=500&${query}`, 200, { user });
  return page.tanks.map((t) => t.tank.tank_id);
}

function expectSame(got: string[], want: Made[]): void {
  expect([...got].sort()).toEqual(want.map((m) => m.id).sort());
}

describe('tank search', () => {
  it('should write the figures only for tanks the writing server holds', async () => {
    const other = made.find((m) => m.serverId === 'server-2')!;
    expect(
      await recordTankStats(stack.store.db, {
        serverId: 'server-1',
        rows: [{ tankId: other.id, fishCount: 99, generation: 99 }],
      }),
    ).toBe(0);
    expect(await ids('fish_min=99')).toEqual([]);
  });

  it('should filter by each parameter alone', async () => {
    const mine = visibleTo('alice');
    expectSame(
      await ids('owner=bob'),
      mine.filter((m) => m.owner === 'bob'),
    );
    expectSame(
      await ids('server_id=server-2'),
      mine.filter((m) => m.serverId === 'server-2'),
    );
    expectSame(
      await ids('region=us'),
      mine.filter((m) => m.serverId === 'server-2'),
    );
    expectSame(
      await ids('region=eu-a'),
      mine.filter((m) => m.serverId === 'server-1'),
    );
    expectSame(await ids('region=ap'), []);
    expectSame(
      await ids('q=coral'),
      mine.filter((m) => m.name.startsWith('Coral')),
    );
    expectSame(
      await ids('q=KEL%20for'),
      mine.filter((m) => m.name.startsWith('Kelp')),
    );
    expectSame(
      await ids('q=reef%2004'),
      mine.filter((m) => m.name === 'Coral reef 04'),
    );
    expectSame(
      await ids('public=false'),
      mine.filter((m) => !m.isPublic),
    );
    expectSame(await ids('public=false', 'carol'), []);
    expectSame(
      await ids('fish_min=5&fish_max=14'),
      mine.filter((m) => m.fish >= 5 && m.fish <= 14),
    );
    expectSame(
      await ids('generation_min=2'),
      mine.filter((m) => m.generation >= 2),
    );
    expectSame(
      await ids('generation_max=0'),
      mine.filter((m) => m.generation === 0),
    );
    const from = made[4]!.createdAt;
    const before = made[9]!.createdAt;
    expectSame(
      await ids(`created_from=${encodeURIComponent(from)}&created_before=${encodeURIComponent(before)}`),
      mine.filter((m) => m.createdAt >= from && m.createdAt < before),
    );
  });

  it('should combine filters', async () => {
    expectSame(
      await ids('owner=alice&q=kelp&region=us&fish_max=15'),
      visibleTo('alice').filter(
        (m) => m.owner === 'alice' && m.name.startsWith('Kelp') && m.serverId === 'server-2' && m.fish <= 15,
      ),
    );
  });

  it('should page every sort in both orders without a repeat or a gap, even while tanks are created', async () => {
    const key: Record<string, (m: Made) => number | string> = {
      created: (m) => m.createdAt,
      fish_count: (m) => m.fish,
      generation: (m) => m.generation,
    };
    for (const sort of ['created', 'name', 'fish_count', 'generation'])
      for (const order of ['asc', 'desc']) {
        const query = `sort=${sort}&order=${order}`;
        const whole = await ids(query, 'carol');
        expectSame(whole, visibleTo('carol'));
        if (key[sort]) {
          const values = whole.map((id) => key[sort]!(made.find((m) => m.id === id)!));
          const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          expect(values).toEqual(order === 'asc' ? sorted : sorted.reverse());
        }
        const paged: string[] = [];
        let cursor: string | null = null;
        do {
          const page: Page = await stack.json<Page>(
            `/api/tanks?limit=3&${query}${cursor ? `&cursor=${cursor}` : ''}`,
            200,
            { user: 'carol' },
          );
          paged.push(...page.tanks.map((t) => t.tank.tank_id));
          cursor = page.next_cursor;
          // A tank created between two pages (private to bob: carol never sees it).
          await stack.json('/api/tanks', 201, {
            method: 'POST',
            user: 'bob',
            body: { name: `Intruder ${sort} ${order}`, is_public: false, initial_fish: 0 },
          });
        } while (cursor !== null);
        expect(paged).toEqual(whole);
      }
  });

  it('should refuse each bad parameter with a 400 naming it', async () => {
    const sortCursor = (await stack.json<Page>('/api/tanks?limit=1&sort=name', 200, { user: 'alice' }))
      .next_cursor!;
    const cases: Array<[string, string]> = [
      ['fish_min=-1', 'fish_min'],
      ['fish_max=many', 'fish_max'],
      ['generation_min=1.5', 'generation_min'],
      ['sort=size', 'sort'],
      ['order=up', 'order'],
      ['public=yes', 'public'],
      ['created_from=yesterday', 'created_from'],
      ['created_before=2026-13-01T00:00:00Z', 'created_before'],
      ['q=%25%25', 'q'],
      ['colour=blue', 'colour'],
      [`sort=fish_count&cursor=${sortCursor}`, 'cursor'],
      ['cursor=not-a-cursor', 'cursor'],
    ];
    for (const [query, name] of cases) {
      const res = await stack.call(`/api/tanks?${query}`, { user: 'alice' });
      const body = (await res.json()) as { code: string; detail: string };
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(body.code, query).toBe('invalid_request');
      expect(body.detail, query).toContain(name);
    }
  });
});

describe('the figures search reads', () => {
  it('should be written by the tank’s server with its heartbeat', async () => {
    const db = await useDatabase({ cleanup });
    const live = await startGatewayStack({ cleanup, databaseUrl: db.url, heartbeatMs: 200 });
    const { tank } = await live.json<Listed>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Beating reef', initial_fish: 6 },
    });
    // Paused, the tank's figures hold still; its server still reports them.
    await live.json(`/api/tanks/${tank.tank_id}/pause`, 200, { method: 'POST', user: 'alice' });
    const stats = await live.json<{ fish_count: number; max_generation: number }>(
      `/api/tanks/${tank.tank_id}/stats`,
      200,
      { user: 'alice' },
    );
    expect(stats.fish_count).toBeGreaterThan(0);
    const n = stats.fish_count;
    await waitFor(
      async () => {
        const page = await live.json<Page>(`/api/tanks?fish_min=${n}&fish_max=${n}`, 200, { user: 'alice' });
        return page.tanks.some((t) => t.tank.tank_id === tank.tank_id);
      },
      { what: `fish_count ${n} written by the heartbeat` },
    );
    expect(await live.json<Page>(`/api/tanks?fish_min=${n + 1}`, 200, { user: 'alice' })).toMatchObject({
      tanks: [],
    });
  }, 60_000);
});
