/**
 * @module
 * What the browser tests share: the built web app, `tankworld dev` on free ports with a known
 * secret, and Debian's Chromium driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { mintToken } from '../../src/auth/index.ts';
import { type Cleanup, freePort, startProgram } from '../support/index.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SECRET = 'web-tests-secret-0123456789';

/**
 * Where a screenshot goes: `docs/` (the README's pictures) with `UPDATE_SCREENSHOTS=1`, the
 * temp folder otherwise, so a test run leaves the working tree as it found it.
 */
export function screenshotPath(name: string): string {
  return process.env.UPDATE_SCREENSHOTS
    ? path.join(ROOT, 'docs', name)
    : path.join(tmpdir(), `tankworld-${name}`);
}

/** Builds web/dist when it is missing (npm test builds it first; a lone vitest run may not). */
export function ensureWebBuilt(): void {
  if (existsSync(path.join(ROOT, 'web/dist/index.html'))) return;
  execFileSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'web/vite.config.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

export async function launchBrowser(cleanup: Cleanup): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.TANKWORLD_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  cleanup.add(() => browser.close());
  return browser;
}

export interface DevStack {
  gateway: string;
  token(user: string): Promise<string>;
  /** A call to the gateway as `user`; returns the response. */
  call(user: string, method: string, pathname: string, body?: unknown): Promise<Response>;
  /** The dev process's output (its welcome text and its JSON log lines), when it was started here. */
  logFile?: string;
}

/** `tankworld dev` (the gateway and 2 servers) on free ports and an empty data folder. */
export async function startDev(cleanup: Cleanup, { logLevel = 'warn' } = {}): Promise<DevStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tankworld-web-'));
  cleanup.add(() => rm(dataDir, { recursive: true, force: true }));
  const gatewayPort = await freePort();
  const gateway = `http://127.0.0.1:${gatewayPort}`;
  const dev = await startProgram({
    name: 'tankworld-dev-web',
    command: process.execPath,
    args: [path.join(ROOT, 'src/cli.ts'), 'dev', '--port', '0', '--gateway-port', String(gatewayPort)],
    cwd: ROOT,
    env: {
      TANKWORLD_DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      JWT_SECRET: SECRET,
      INTERNAL_SECRET: SECRET,
      HEARTBEAT_MS: '500',
      LOG_LEVEL: logLevel,
    },
    ready: async () =>
      (
        await fetch(`${gateway}/api/tanks`, {
          headers: { authorization: `Bearer ${await mintToken({ secret: SECRET, userId: 'alice' })}` },
        })
      ).ok,
    startTimeout: 60_000,
    cleanup,
  });
  return { ...gatewayStack(gateway), logFile: dev.logFile };
}

/** Calls to the gateway at `gateway` with tokens minted on the tests' secret. */
export function gatewayStack(gateway: string): DevStack {
  const token = (user: string) => mintToken({ secret: SECRET, userId: user });
  return {
    gateway,
    token,
    async call(user, method, pathname, body) {
      return fetch(`${gateway}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${await token(user)}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
  };
}

const violations = new WeakMap<Page, string[]>();

/**
 * Records the page's Content-Security-Policy violations from here on: Chromium's console report
 * and the document's `securitypolicyviolation` events (an init script, which the policy does not
 * govern, forwards them to the console). Read them with `cspViolations(page)`.
 */
export async function watchCsp(page: Page): Promise<void> {
  const seen: string[] = [];
  violations.set(page, seen);
  page.on('console', (message) => {
    if (/content.security.policy|csp violation/i.test(message.text())) seen.push(message.text());
  });
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`),
    ),
  );
}

/** What `watchCsp` has seen on `page` so far. */
export function cspViolations(page: Page): string[] {
  return violations.get(page) ?? [];
}

/**
 * Opens `pathname` signed in as `user`: the token posted to `/api/session` from the page, as the
 * log-in form does, which leaves the HttpOnly session cookie in the browser.
 */
export async function openAs(
  browser: Browser,
  stack: DevStack,
  user: string,
  pathname: string,
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  await watchCsp(page);
  await page.goto(`${stack.gateway}/`);
  const status = await page.evaluate(
    async (token) =>
      (
        await fetch('/api/session', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-requested-with': 'tankworld' },
          body: JSON.stringify({ token }),
        })
      ).status,
    await stack.token(user),
  );
  if (status !== 200) throw new Error(`signing ${user} in answered ${status}`);
  await page.goto(`${stack.gateway}${pathname}`);
  return page;
}
