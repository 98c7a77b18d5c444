/**
 * @module
 * The first visit, in real Chromium against a fresh `tankworld dev` (what `npm start` runs): the
 * dashboard shows the public tanks without signing in and the viewer plays one (through the
 * gateway's relay); the sign-in link the welcome text prints signs in at once, its token gone
 * from the address bar and nowhere in the page's storage; a private action (creating a tank)
 * works; signing out returns to the guest's view. The token never appears in the process's log
 * lines (the fragment is never sent).
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup, waitFor } from '../support/index.ts';
import {
  cspViolations,
  type DevStack,
  ensureWebBuilt,
  launchBrowser,
  startDev,
  watchCsp,
} from './browser.ts';

const cleanup = useCleanup();
let stack: DevStack;
let tankId: string;

interface Listed {
  tanks: Array<{ tank: { tank_id: string; name: string } }>;
}

/** The gateway's list as a guest (no credential at all). */
async function guestList(): Promise<Listed['tanks']> {
  return ((await (await fetch(`${stack.gateway}/api/tanks`)).json()) as Listed).tanks;
}

beforeAll(async () => {
  ensureWebBuilt();
  stack = await startDev(cleanup, { logLevel: 'debug' });
  tankId = await waitFor(async () => (await guestList())[0]?.tank.tank_id, {
    what: 'the default tank, public',
    timeout: 30_000,
  });
});

describe('the first visit', () => {
  it('should show public tanks to a guest, sign in from the printed link, create a tank, and sign out', async () => {
    const welcome = await readFile(stack.logFile!, 'utf8');
    const [, user, link] = /sign in \(user (\S+), 7 days\): (http\S+#token=(\S+))/.exec(welcome) ?? [];
    expect(link).toBeDefined();
    const token = link!.slice(link!.indexOf('#token=') + '#token='.length);
    const gatewayHost = new URL(stack.gateway).host;
    const signInLink = link!.replace(new URL(link!).host, gatewayHost);

    const browser = await launchBrowser(cleanup);
    const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    await watchCsp(page);

    // A guest: the public default tank, the log-in box, nothing to create.
    await page.goto(`${stack.gateway}/`);
    await page.waitForSelector(`#tanks tr[data-tank="${tankId}"]`);
    expect(await page.textContent('#who')).toBe('watching public tanks as a guest');
    expect(await page.isVisible('#login')).toBe(true);
    expect(await page.isVisible('#create')).toBe(false);

    // The viewer plays it, read-only, through the gateway's relay.
    await page.goto(`${stack.gateway}/tank.html?id=${tankId}`);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 20_000 });
    expect(await page.isVisible('#controls')).toBe(false);

    // The printed link signs in at once; the token leaves the address bar and is stored nowhere.
    await page.goto(signInLink);
    await page.waitForFunction(
      (who) => document.getElementById('who')?.textContent === who,
      `signed in as ${user}`,
    );
    expect(page.url()).toBe(`${stack.gateway}/`);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'tankworld_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    expect(await page.evaluate(() => document.cookie)).not.toContain(token);

    // A private action: a new tank, created as the signed-in user (public by default, so the
    // guest's lookup shows its owner).
    page.once('dialog', (dialog) => void dialog.accept('Signed-in tank'));
    await page.click('#create');
    const row = await page.waitForSelector('#tanks tr:has-text("Signed-in tank")', { timeout: 15_000 });
    const created = (await row.getAttribute('data-tank'))!;
    const lookup = (await (await fetch(`${stack.gateway}/gateway/tanks/${created}`)).json()) as {
      tank: { owner: string };
    };
    expect(lookup.tank.owner).toBe(user);

    // Signing out: back to the guest's view, nothing to create.
    await page.click('#logout');
    await page.waitForFunction(
      () => document.getElementById('who')?.textContent === 'watching public tanks as a guest',
    );
    await page.waitForSelector(`#tanks tr[data-tank="${created}"]`);
    expect(await page.isVisible('#create')).toBe(false);
    expect(await page.isVisible('#login')).toBe(true);
    expect((await page.context().cookies()).find((c) => c.name === 'tankworld_session')).toBeUndefined();
    expect(cspViolations(page)).toEqual([]);

    // The process's log lines (JSON, debug level) never held the token: only the welcome text did.
    const logLines = (await readFile(stack.logFile!, 'utf8')).split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((l) => l.includes(token))).toEqual([]);
  });
});
