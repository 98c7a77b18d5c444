/**
 * @module
 * The tank viewer across a live move, in real Chromium on `tankworld dev` (the gateway and two
 * servers): `POST /api/tanks/{id}/move` sends its viewers `moved` and close 4307, and the page
 * follows to the new server at once — same document (no reload), live again, fish moving —
 * while the dashboard's feed shows the `tank_moved` event.
 */
import { describe, expect, it } from 'vitest';
import { useCleanup, waitFor } from '../support/index.ts';
import { ensureWebBuilt, launchBrowser, openAs, startDev } from './browser.ts';

const cleanup = useCleanup();

describe('the web viewer across a live move', () => {
  it('should follow the tank to its new server without a reload', { timeout: 120_000 }, async () => {
    ensureWebBuilt();
    const stack = await startDev(cleanup);
    const created = await stack.call('alice', 'POST', '/api/tanks', { name: 'Traveller' });
    expect(created.status).toBe(201);
    const { tank } = (await created.json()) as { tank: { tank_id: string; server_id: string } };

    const browser = await launchBrowser(cleanup);
    const viewer = await openAs(browser, stack, 'alice', `/tank.html?id=${tank.tank_id}`);
    await viewer.waitForSelector('#conn[data-state="live"]');
    expect(await viewer.textContent('#where')).toContain(tank.server_id);
    const dashboard = await openAs(browser, stack, 'alice', '/');
    await dashboard.waitForSelector(`#tanks tr[data-tank="${tank.tank_id}"]`);
    // A mark on this document: a reload would lose it.
    await viewer.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });

    const moved = await stack.call('alice', 'POST', `/api/tanks/${tank.tank_id}/move`);
    expect(moved.status).toBe(200);
    const { server } = (await moved.json()) as { server: { server_id: string } };
    expect(server.server_id).not.toBe(tank.server_id);

    await viewer
      .locator('#where', { hasText: `on ${server.server_id}` })
      .filter({ hasText: `moved from ${tank.server_id}` })
      .waitFor({ timeout: 15_000 });
    await viewer.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    expect(await viewer.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    const before = await viewer.locator('canvas').screenshot();
    await waitFor(async () => !before.equals(await viewer.locator('canvas').screenshot()) || undefined, {
      what: 'fish moving on the new server',
      timeout: 15_000,
    });
    await dashboard
      .locator('#feed li[data-type="tank_moved"]', {
        hasText: `Traveller moved ${tank.server_id} → ${server.server_id}`,
      })
      .waitFor({ timeout: 15_000 });
  });
});
