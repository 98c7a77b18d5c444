/**
 * @module
 * A fish through a tube across servers, in real Chromium on `tankworld dev` (the gateway and two
 * servers): tank A on one server, tank B on the other, a one-way tube A → B. A's viewer lists
 * the fish leaving (a link to B) and B's viewer lists it arriving and rings it on the canvas:
 * the ringed fish is the one B's server holds under that uid, and A holds it no more. The
 * dashboard's graph shows the two tanks in their servers' groups, the tube across them, and
 * counts the migration from the SSE feed.
 */
import { describe, expect, it } from 'vitest';
import { useCleanup, waitFor } from '../support/index.ts';
import { ensureWebBuilt, launchBrowser, openAs, screenshotPath, startDev } from './browser.ts';

const cleanup = useCleanup();

describe('a fish through a tube in the browser', () => {
  it('should leave one tank’s canvas and appear in the connected tank on another server', {
    timeout: 150_000,
  }, async () => {
    ensureWebBuilt();
    const stack = await startDev(cleanup);
    const json = async <T>(res: Response | Promise<Response>) => (await (await res).json()) as T;
    const { servers } = await json<{ servers: Array<{ server_id: string }> }>(
      stack.call('alice', 'GET', '/api/servers'),
    );
    expect(servers.length).toBe(2);
    const [s1, s2] = servers.map((s) => s.server_id);
    type Created = { tank: { tank_id: string; server_id: string } };
    const a = await json<Created>(
      stack.call('alice', 'POST', '/api/tanks', { name: 'Source', server_id: s1, initial_fish: 40, seed: 7 }),
    );
    const b = await json<Created>(
      stack.call('alice', 'POST', '/api/tanks', { name: 'Sink', server_id: s2, initial_fish: 2, seed: 8 }),
    );
    expect([a.tank.server_id, b.tank.server_id]).toEqual([s1, s2]);

    const tube = await stack.call('alice', 'POST', `/api/tanks/${a.tank.tank_id}/connections`, {
      to_tank_id: b.tank.tank_id,
      mouth: 'right',
      rate_per_minute: 600,
    });
    expect(tube.status).toBe(201);
    const { connection_id } = (await tube.json()) as { connection_id: string };

    const browser = await launchBrowser(cleanup);
    const source = await openAs(browser, stack, 'alice', `/tank.html?id=${a.tank.tank_id}`);
    const sink = await openAs(browser, stack, 'alice', `/tank.html?id=${b.tank.tank_id}`);
    const dashboard = await openAs(browser, stack, 'alice', '/');
    // Each viewer lists the tube once its server has read it (hello, or a later state message;
    // a page that said hello before the server read the tube looks again).
    for (const page of [source, sink])
      await waitFor(
        async () => {
          await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
          const listed = page.locator(`#tubes li[data-connection="${connection_id}"]`);
          if (await listed.count()) return true;
          await page.waitForTimeout(1500);
          if (await listed.count()) return true;
          await page.reload();
          return undefined;
        },
        { what: 'the tube listed on both viewers', timeout: 30_000 },
      );

    // A fish arrives in B, and B's canvas rings the new fish by the mouth.
    const arrived = sink.locator(`#migrations li[data-kind="arrived"][data-entity]`).first();
    await arrived.waitFor({ timeout: 60_000 });
    const uid = (await arrived.getAttribute('data-uid'))!;
    const entity = (await arrived.getAttribute('data-entity'))!;
    expect(await arrived.locator(`a[data-tank="${a.tank.tank_id}"]`).count()).toBe(1);
    const inSink = await json<{ uid: string }>(
      stack.call('alice', 'GET', `/api/tanks/${b.tank.tank_id}/entities/${entity}`),
    );
    expect(inSink.uid).toBe(uid);
    // A's viewer saw it go, with a link to where it went, and A holds it no more.
    const left = source.locator(`#migrations li[data-kind="left"][data-uid="${uid}"]`);
    await left.waitFor({ timeout: 10_000 });
    expect(await left.locator('a').getAttribute('href')).toBe(`/tank.html?id=${b.tank.tank_id}`);
    expect((await stack.call('alice', 'GET', `/api/tanks/${a.tank.tank_id}/entities/${uid}`)).status).toBe(
      404,
    );
    await source.screenshot({ path: screenshotPath('viewer-tubes.png') });

    // The dashboard: each tank in its server's group, the tube across them, the migration counted.
    const edge = dashboard.locator(`#network path[data-connection="${connection_id}"]`);
    await edge.waitFor({ timeout: 15_000 });
    expect(await edge.getAttribute('data-local')).toBe('false');
    await waitFor(
      async () =>
        Number(await dashboard.getAttribute('#network-summary', 'data-migrations')) > 0 || undefined,
      { what: 'a migration counted on the dashboard', timeout: 30_000 },
    );
    expect(Number(await dashboard.getAttribute('#network-summary', 'data-local'))).toBe(0);
    await dashboard
      .locator('#feed li[data-type="migration"]', { hasText: `Source → Sink (${s1} → ${s2})` })
      .first()
      .waitFor({ timeout: 15_000 });
    await dashboard.locator('#network').screenshot({ path: screenshotPath('network-graph.png') });
  });
});
