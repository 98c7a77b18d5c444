/**
 * @module
 * The web app in real Chromium against `tankworld dev`: the dashboard lists both servers and
 * the default tank and shows a tank created through the API without a reload; the viewer draws
 * live frames, stops with pause and moves again with resume; a read-only user gets no controls
 * and a 403 when trying anyway. All of it under the gateway's Content-Security-Policy, which the
 * pages must never trip. `UPDATE_SCREENSHOTS=1` writes the README's screenshots to docs/.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup, waitFor } from '../support/index.ts';
import {
  cspViolations,
  type DevStack,
  ensureWebBuilt,
  launchBrowser,
  openAs,
  ROOT,
  screenshotPath,
  startDev,
  watchCsp,
} from './browser.ts';

const cleanup = useCleanup();
let stack: DevStack;
let tankId: string;

/** The canvas as an image, and how many distinct colours a sample of its pixels has. */
async function canvasState(page: Page): Promise<{ image: string; colours: number }> {
  return page.evaluate(() => {
    const canvas = document.querySelector('canvas') as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 97)
      colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    return { image: canvas.toDataURL(), colours: colours.size };
  });
}

beforeAll(async () => {
  ensureWebBuilt();
  stack = await startDev(cleanup);
  // dev creates its default tank once the gateway answers, so the first list may still be empty.
  tankId = await waitFor(
    async () => {
      const list = (await (await stack.call('alice', 'GET', '/api/tanks')).json()) as {
        tanks: Array<{ tank: { tank_id: string } }>;
      };
      return list.tanks[0]?.tank.tank_id;
    },
    { what: 'the default tank', timeout: 30_000 },
  );
});

describe('log-in', () => {
  it('should ask for a token, refuse a forged one and keep a good one across reloads in an HttpOnly cookie, never in storage', async () => {
    const browser = await launchBrowser(cleanup);
    const page = await browser.newPage();
    await watchCsp(page);
    const answer = await page.goto(`${stack.gateway}/`);
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(answer?.headers()['x-frame-options']).toBe('DENY');
    await page.waitForSelector('#login:not([hidden])');
    const good = await stack.token('carol');
    await page.fill('#token', `${good.slice(0, -4)}AAAA`);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#login-error:has-text("401")');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);

    await page.fill('#token', good);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#dashboard:not([hidden])');
    expect(await page.textContent('#who')).toContain('carol');
    await page.reload();
    await page.waitForSelector('#servers tr[data-server="server-1"]');
    expect(cspViolations(page)).toEqual([]);

    // The session is a cookie the page's scripts cannot read, and no token is kept anywhere else.
    const cookies = await page.context().cookies();
    expect(
      cookies.map(({ name, value, httpOnly, sameSite, path }) => ({ name, value, httpOnly, sameSite, path })),
    ).toEqual([{ name: 'tankworld_session', value: good, httpOnly: true, sameSite: 'Strict', path: '/' }]);
    expect(
      await page.evaluate(() => ({
        cookie: document.cookie,
        local: Object.keys(localStorage),
        session: Object.keys(sessionStorage),
        field: (document.getElementById('token') as HTMLTextAreaElement).value,
      })),
    ).toEqual({ cookie: '', local: [], session: [], field: '' });
    for (const file of await readdir(path.join(ROOT, 'web/src')))
      expect(await readFile(path.join(ROOT, 'web/src', file), 'utf8'), file).not.toMatch(
        /localStorage|sessionStorage/,
      );

    // Logging out clears the cookie and brings the form back.
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.context().cookies()).toEqual([]);
  });
});

describe('dashboard', () => {
  it('should list both servers and the default tank, and show a new tank without a reload', async () => {
    const browser = await launchBrowser(cleanup);
    const page = await openAs(browser, stack, 'alice', '/');
    await page.waitForSelector('#servers tr[data-server="server-1"]');
    await page.waitForSelector('#servers tr[data-server="server-2"]');
    await page.waitForSelector(`#tanks tr[data-tank="${tankId}"]`);
    // Both turn passing once their heartbeats are in (the page refreshes itself).
    await waitFor(
      async () => (await page.locator('#servers tbody tr .badge.passing').count()) === 2 || undefined,
      {
        what: 'both servers passing on the dashboard',
        timeout: 20_000,
      },
    );

    const created = await stack.call('alice', 'POST', '/api/tanks', { name: 'Made by the test' });
    expect(created.status).toBe(201);
    const { tank } = (await created.json()) as { tank: { tank_id: string } };
    await page.waitForSelector(`#tanks tr[data-tank="${tank.tank_id}"]`, { timeout: 10_000 });
    await page.waitForSelector('#feed li[data-type="tank_created"]', { timeout: 10_000 });
    // Its fish count arrives with the tank's first stats, still without a reload.
    await page.waitForFunction(
      (id) =>
        /^\d+$/.test(
          document.querySelector(`#tanks tr[data-tank="${id}"] td:nth-child(3)`)?.textContent ?? '',
        ),
      tank.tank_id,
      { timeout: 15_000 },
    );

    // A fish moved between the two tanks shows in the feed as transfer steps.
    const { entities } = (await (
      await stack.call('alice', 'GET', `/api/tanks/${tankId}/entities?kind=fish`)
    ).json()) as { entities: Array<{ id: number }> };
    const moved = await stack.call('alice', 'POST', '/gateway/transfer', {
      source_tank_id: tankId,
      dest_tank_id: tank.tank_id,
      entity_id: entities[0]!.id,
    });
    expect(moved.status).toBe(200);
    await page
      .locator('#feed li[data-type="transfer_step"]', { hasText: 'Tank 1 → Made by the test: committed' })
      .waitFor({ timeout: 10_000 });
    // The load charts gather a sample per refresh.
    await page.waitForSelector('#servers svg.spark.cpu[data-samples="8"]', { timeout: 20_000 });
    const height = await page.evaluate(() => document.getElementById('app')!.getBoundingClientRect().bottom);
    await page.screenshot({
      path: screenshotPath('dashboard.png'),
      clip: { x: 0, y: 0, width: 1400, height: Math.min(820, Math.ceil(height) + 8) },
    });
    expect(cspViolations(page)).toEqual([]);
  });
});

describe('tank viewer', () => {
  it('should draw live frames, freeze on pause and move again on resume', async () => {
    const browser = await launchBrowser(cleanup);
    const page = await openAs(browser, stack, 'alice', `/tank.html?id=${tankId}`);
    await page.waitForSelector('#conn[data-state="live"]');
    await page.waitForSelector('#controls:not([hidden])');
    await page.waitForSelector('#population dt:has-text("births")');
    await page.waitForTimeout(1000); // a second of frames, as a user would watch
    const first = await canvasState(page);
    expect(first.colours).toBeGreaterThan(20);
    await waitFor(async () => (await canvasState(page)).image !== first.image, { what: 'the fish moving' });

    await page.click('#pause');
    await page.waitForSelector('#resume:not([hidden])');
    // Once the last frames before the pause are drawn, nothing changes any more.
    const still = await waitFor(
      async () => {
        const a = await canvasState(page);
        await page.waitForTimeout(400);
        const b = await canvasState(page);
        return a.image === b.image ? b : undefined;
      },
      { what: 'the canvas standing still while paused', timeout: 10_000 },
    );

    // Paused, the fish stay where the server has them: click the loneliest and read its genome.
    const { entities } = (await (
      await stack.call('alice', 'GET', `/api/tanks/${tankId}/entities?kind=fish`)
    ).json()) as { entities: Array<{ id: number; x: number; y: number }> };
    const gap = (f: { x: number; y: number }) =>
      Math.min(...entities.filter((o) => o !== f).map((o) => Math.hypot(o.x - f.x, o.y - f.y)));
    const lonely = entities.reduce((a, b) => (gap(b) > gap(a) ? b : a));
    const box = (await page.locator('canvas').boundingBox())!;
    await page.mouse.click(box.x + (lonely.x / 1088) * box.width, box.y + (lonely.y / 612) * box.height);
    await page.waitForSelector('#genome dt[title]');
    expect(await page.locator('#fish dd').first().textContent()).toBe(String(lonely.id));
    expect(await page.locator('#genome dt').allTextContents()).toEqual(
      expect.arrayContaining(['hue', 'speed']),
    );
    // Its family: lineage and parent, and where its relatives live (this tank at least).
    expect(await page.locator('#fish dt').allTextContents()).toEqual(
      expect.arrayContaining(['lineage', 'parent']),
    );
    await page.waitForSelector(`#relatives li[data-tank="${tankId}"]`);

    await page.click('#resume');
    await waitFor(async () => (await canvasState(page)).image !== still.image, {
      what: 'the fish moving after resume',
    });
    await page.screenshot({ path: screenshotPath('viewer.png'), fullPage: true });

    // Spawn adds a fish the frames then carry.
    const fishShown = async () => Number(await page.locator('#stats dt:has-text("fish") + dd').textContent());
    const before = await fishShown();
    await page.click('#spawn-fish');
    await waitFor(async () => (await fishShown()) > before || undefined, {
      what: 'the spawned fish in the frames',
    });
    expect(await page.textContent('#error')).toBe('');
    expect(cspViolations(page)).toEqual([]);
  });

  it('should show a read-only user no controls, and refuse their pause with 403', async () => {
    const grant = await stack.call('alice', 'POST', `/api/tanks/${tankId}/permissions`, {
      user_id: 'bob',
      permission: 'read',
    });
    expect(grant.status).toBe(200);
    const browser = await launchBrowser(cleanup);
    // The short address `/#/tank/<id>` leads to the same viewer.
    const page = await openAs(browser, stack, 'bob', `/#/tank/${tankId}`);
    await page.waitForSelector('#conn[data-state="live"]');
    expect(await page.locator('#controls').isHidden()).toBe(true);
    expect(await page.locator('#pause').isVisible()).toBe(false);
    const refused = await stack.call('bob', 'POST', `/api/tanks/${tankId}/pause`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(cspViolations(page)).toEqual([]);
  });
});
