/**
 * @module
 * The tube mover with two in-process servers behind a gateway: fish with wanderlust that swim
 * into a mouth go through the tube — between two tanks of one server in one atomic step, to
 * another server's tank over the 2PC (logged as `tube:<connection id>` transfers) — each move
 * announced once as a `migration` event; a full destination refuses and every fish it refused
 * is back in its own tank; the token bucket holds a tube to its rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkEvent } from '../../src/realtime/index.ts';
import { transfersTable } from '../../src/store/index.ts';
import { createTokenBucket } from '../../src/tubes/index.ts';
import { type GatewayStack, startGatewayStack } from '../gateway/fixture.ts';
import { useCleanup, waitFor } from '../support/index.ts';
import { opened, openViewer } from './viewer.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
const events: Array<Extract<NetworkEvent, { type: 'migration' }>> = [];
let unsubscribe: () => Promise<void>;

beforeAll(async () => {
  stack = await startGatewayStack({ cleanup, servers: 2 });
  unsubscribe = await stack.realtime.subscribe((e) => {
    if (e.type === 'migration') events.push(e);
  });
}, 120_000);

afterAll(async () => {
  await unsubscribe?.();
});

async function tank(server: string, name: string): Promise<string> {
  const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name, server_id: server, initial_fish: 0 },
  });
  return tank.tank_id;
}

/** Fish that want to go, right in the left mouth (x just inside the wall, mid-height). */
async function wanderers(tankId: string, count: number): Promise<string[]> {
  const uids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { uid } = await stack.json<{ uid: string }>(`/api/tanks/${tankId}/fish`, 201, {
      method: 'POST',
      user: 'alice',
      body: { genome: { wanderlust: 1 }, x: 30, y: 250 + i * 5 },
    });
    uids.push(uid);
  }
  return uids;
}

async function uidsIn(tankId: string): Promise<string[]> {
  const { entities } = await stack.json<{ entities: Array<{ kind: string; uid?: string }> }>(
    `/api/tanks/${tankId}/entities`,
    200,
    { user: 'alice' },
  );
  return entities.filter((e) => e.kind === 'fish').map((e) => e.uid as string);
}

async function connect(from: string, to: string, body: Record<string, unknown> = {}): Promise<string> {
  const made = await stack.json<{ connection_id: string }>(`/api/tanks/${from}/connections`, 201, {
    method: 'POST',
    user: 'alice',
    body: { to_tank_id: to, mouth: 'left', rate_per_minute: 600, ...body },
  });
  return made.connection_id;
}

/**
 * Every uid in exactly one of the tanks, read from the running worlds at one instant (both
 * servers run in this process): two HTTP reads could see a fish that moved between them twice.
 */
function census(...tankIds: string[]): Map<string, string> {
  const where = new Map<string, string>();
  for (const id of tankIds) {
    const world = stack.servers.map((s) => s.server.host.get(id)?.world).find((w) => w !== undefined);
    expect(world, `tank ${id} runs`).toBeDefined();
    for (const uid of world!.fish.uid.slice(0, world!.fish.count)) {
      expect(where.has(uid), `${uid} in ${where.get(uid)} and ${id}`).toBe(false);
      where.set(uid, id);
    }
  }
  return where;
}

describe('tube mover', () => {
  it('should move fish between two tanks of one server, atomically, each move announced once', async () => {
    const a = await tank('server-1', 'Local A');
    const b = await tank('server-1', 'Local B');
    const tube = await connect(a, b);
    const server = stack.servers[0]!;
    await waitFor(() => server.server.host.get(a)!.world.mouths.length === 1, {
      what: 'the mouth on the source',
    });
    const watchA = openViewer(`${server.server.wsUrl}/ws/${a}?token=${await server.token('alice')}`);
    const watchB = openViewer(`${server.server.wsUrl}/ws/${b}?token=${await server.token('alice')}`);
    cleanup.add(() => watchA.ws.terminate());
    cleanup.add(() => watchB.ws.terminate());
    await Promise.all([opened(watchA), opened(watchB)]);
    const sent = await wanderers(a, 8);
    await waitFor(async () => (await uidsIn(b)).length >= 4, {
      timeout: 30_000,
      what: 'fish through the local tube',
    });
    const where = census(a, b);
    const moved = events.filter((e) => e.connection_id === tube);
    expect(moved.length).toBeGreaterThanOrEqual(4);
    for (const e of moved) {
      expect(e).toMatchObject({
        from_tank_id: a,
        to_tank_id: b,
        local: true,
        from_server_id: 'server-1',
        took_ms: expect.any(Number),
      });
      expect(sent).toContain(e.fish_uid);
    }
    expect(new Set(moved.map((e) => e.fish_uid)).size).toBe(moved.length);
    for (const e of moved) expect(where.get(e.fish_uid) ?? 'gone').not.toBe(a);
    // The viewers: each tank's tubes in its hello, a fish_left and a fish_arrived per move.
    const texts = (v: typeof watchA) => v.texts as Array<Record<string, unknown>>;
    await waitFor(() => texts(watchB).filter((m) => m.type === 'fish_arrived').length >= moved.length, {
      what: 'fish_arrived for each move',
    });
    expect(texts(watchA)[0]).toMatchObject({
      type: 'hello',
      tubes: [{ connection_id: tube, mouth: 'left', other_tank_id: b, direction: 'one_way' }],
    });
    expect(texts(watchB)[0]).toMatchObject({
      type: 'hello',
      tubes: [{ connection_id: tube, mouth: 'right', other_tank_id: a }],
    });
    const left = texts(watchA).filter((m) => m.type === 'fish_left');
    expect(left.map((m) => m.uid)).toEqual(expect.arrayContaining(moved.map((e) => e.fish_uid)));
    expect(left[0]).toMatchObject({ connection_id: tube, to_tank_id: b });
    expect(texts(watchB).find((m) => m.type === 'fish_arrived')).toMatchObject({
      connection_id: tube,
      from_tank_id: a,
    });
  });

  it('should tell a tank’s open viewers its tubes when one is made and when it is cut', async () => {
    const a = await tank('server-1', 'Told A');
    const b = await tank('server-1', 'Told B');
    const server = stack.servers[0]!;
    const watch = openViewer(`${server.server.wsUrl}/ws/${a}?token=${await server.token('alice')}`);
    cleanup.add(() => watch.ws.terminate());
    await opened(watch);
    const texts = () => watch.texts as Array<Record<string, unknown>>;
    expect(await waitFor(() => texts()[0], { what: 'the hello' })).toMatchObject({
      type: 'hello',
      tubes: [],
    });
    const tube = await connect(a, b);
    const made = await waitFor(() => texts().find((m) => m.type === 'tubes'), { what: 'the made tube told' });
    expect(made).toMatchObject({ tubes: [{ connection_id: tube, mouth: 'left', other_tank_id: b }] });
    const cut = await stack.call(`/api/tanks/${a}/connections/${tube}`, { method: 'DELETE', user: 'alice' });
    expect(cut.status).toBe(204);
    const lastTold = () =>
      texts()
        .filter((m) => m.type === 'tubes')
        .at(-1)?.tubes as unknown[] | undefined;
    await waitFor(() => lastTold()?.length === 0, { what: 'the cut tube told' });
  });

  it('should move fish to another server over the 2PC, logged as the tube’s transfers', async () => {
    const a = await tank('server-1', 'Cross A');
    const c = await tank('server-2', 'Cross C');
    const tube = await connect(a, c);
    await wanderers(a, 8);
    await waitFor(async () => (await uidsIn(c)).length >= 3, {
      timeout: 30_000,
      what: 'fish through the cross-server tube',
    });
    census(a, c);
    // A move is announced once its two-phase commit has finished on both sides, which may be a
    // little after the fish is already in the destination's world.
    await waitFor(() => events.filter((e) => e.connection_id === tube).length >= 3, {
      timeout: 10_000,
      what: 'the moves announced',
    });
    const moved = events.filter((e) => e.connection_id === tube);
    for (const e of moved)
      expect(e).toMatchObject({
        local: false,
        from_server_id: 'server-1',
        to_server_id: 'server-2',
        took_ms: expect.any(Number),
      });
    const logged = await stack.store.db.select().from(transfersTable);
    const mine = logged.filter((t) => t.requestedBy === `tube:${tube}` && t.status === 'committed');
    expect(mine.map((t) => t.entityUid).sort()).toEqual(
      expect.arrayContaining(moved.map((e) => e.fish_uid).sort()),
    );
  });

  it('should refuse through a full destination and put every refused fish back', async () => {
    const a = await tank('server-1', 'Full A');
    const full = await tank('server-2', 'Full D');
    // Fill the destination to its cap.
    for (;;) {
      const res = await stack.call(`/api/tanks/${full}/fish`, { method: 'POST', user: 'alice', body: {} });
      await res.body?.cancel();
      if (res.status === 409) break;
      expect(res.status).toBe(201);
    }
    await stack.call(`/api/tanks/${full}/pause`, { method: 'POST', user: 'alice' });
    const before = (await uidsIn(full)).sort();
    const tube = await connect(a, full);
    await wanderers(a, 4);
    const tried = async () =>
      (await stack.store.db.select().from(transfersTable)).filter((t) => t.requestedBy === `tube:${tube}`);
    await waitFor(async () => (await tried()).filter((t) => t.status === 'aborted').length >= 3, {
      timeout: 30_000,
      what: 'refused moves into the full tank',
    });
    expect((await tried()).filter((t) => t.status === 'committed')).toEqual([]);
    expect((await uidsIn(full)).sort()).toEqual(before);
    // Each refused fish is back in its own tank (aborted transfers name it by uid).
    const home = await uidsIn(a);
    for (const t of (await tried()).filter((x) => x.status === 'aborted' && x.entityUid)) {
      expect(home).toContain(t.entityUid);
    }
  });

  it('should keep a fish in place when the same server’s destination is full', async () => {
    const a = await tank('server-1', 'Local full A');
    const full = await tank('server-1', 'Local full D');
    for (;;) {
      const res = await stack.call(`/api/tanks/${full}/fish`, { method: 'POST', user: 'alice', body: {} });
      await res.body?.cancel();
      if (res.status === 409) break;
    }
    await stack.call(`/api/tanks/${full}/pause`, { method: 'POST', user: 'alice' });
    const before = (await uidsIn(full)).sort();
    const tube = await connect(a, full);
    const sent = await wanderers(a, 4);
    // Long enough for many decisions at the mouth (a fish there goes within a second or so).
    await new Promise((r) => setTimeout(r, 3000));
    const world = stack.servers[0]!.server.host.get(a)!.world;
    expect(events.filter((e) => e.connection_id === tube)).toEqual([]);
    expect((await uidsIn(full)).sort()).toEqual(before);
    expect(world.counters.transfersOut).toBe(0);
    // Every fish sent is still home, unless the crab or hunger took it (deaths are counted).
    const home = await uidsIn(a);
    expect(sent.filter((uid) => !home.includes(uid)).length).toBeLessThanOrEqual(
      world.counters.deaths.predation + world.counters.deaths.starvation + world.counters.deaths.old_age,
    );
  });
});

describe('token bucket', () => {
  it('should pass a burst, then the rate, and take a refund back', () => {
    let now = 0;
    const bucket = createTokenBucket({ ratePerMinute: 60, burst: 2, now: () => now });
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    now += 999;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    bucket.refund();
    expect(bucket.take()).toBe(true);
    // Over a minute it passes the rate and no more (plus what was saved up).
    let passed = 0;
    for (let t = 0; t < 60_000; t += 10) {
      now += 10;
      if (bucket.take()) passed++;
    }
    expect(passed).toBe(60);
  });
});
