/**
 * @module
 * The Consul UI's view of the tank servers, as a user sees it in real Chromium: three
 * `tankworld server` processes on the harness's real Consul agent are listed healthy on the UI's
 * tank-server page; an instance's health checks show the heartbeat's output (tanks, CPU,
 * viewers) and its Tags & Meta show the server's Meta; a SIGKILLed server's row turns critical.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePorts, startConsul, startProgram, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { launchBrowser, ROOT, SECRET, screenshotPath } from './browser.ts';

const cleanup = useCleanup();

describe('the Consul UI', () => {
  it('should list three healthy tank servers with their load and Meta, and show a killed one critical', async () => {
    const consul = await startConsul({ cleanup, nodeName: 'tank-ui-node' });
    const db = await useDatabase({ cleanup });
    const ids = ['alpha', 'beta', 'gamma'];
    const ports = await freePorts(3);
    const servers = await Promise.all(
      ids.map((id, i) =>
        startProgram({
          name: `ui-server-${id}`,
          command: process.execPath,
          args: [path.join(ROOT, 'src/cli.ts'), 'server', '--port', String(ports[i]), '--server-id', id],
          cwd: ROOT,
          env: {
            DISCOVERY: 'consul',
            CONSUL_HTTP_ADDR: consul.httpAddr,
            DATABASE_URL: db.url,
            JWT_SECRET: SECRET,
            INTERNAL_SECRET: SECRET,
            HEARTBEAT_MS: '500',
            CHECK_TTL: '3s',
            LOG_LEVEL: 'warn',
          },
          ready: async () => (await fetch(`http://127.0.0.1:${ports[i]}/health`)).ok,
          cleanup,
        }),
      ),
    );
    const ui = `http://${consul.httpAddr}/ui/dc1/services/tank-server`;
    const browser = await launchBrowser(cleanup);
    const page = await browser.newPage({ viewport: { width: 1400, height: 760 } });

    const instances = await waitFor(
      async () => {
        await page.goto(`${ui}/instances`);
        await page.waitForSelector(`text=127.0.0.1:${ports[2]}`, { timeout: 5000 });
        const text = (await page.textContent('main')) ?? '';
        return text.match(/All service checks passing/g)?.length === 3 ? text : undefined;
      },
      { what: 'three passing tank-server instances in the Consul UI', timeout: 30_000 },
    );
    for (const id of ids) expect(instances).toContain(id);
    await page.screenshot({ path: screenshotPath('consul-ui.png') });

    await page.goto(`${ui}/instances/tank-ui-node/alpha/health-checks`);
    await page.waitForSelector('text=Tank server heartbeat');
    expect((await page.textContent('main')) ?? '').toMatch(
      /tanks=\d+ cpu=[\d.]+% mem=\d+MB viewers=\d+ behind=\d+/,
    );
    await page.screenshot({ path: screenshotPath('consul-ui-check.png') });
    await page.click('text=Tags & Meta');
    await page.waitForSelector('text=ws_url');
    const meta = (await page.textContent('main')) ?? '';
    expect(meta).toContain(`ws://127.0.0.1:${ports[0]}`);
    expect(meta).toContain('server_id');
    expect(meta).toContain('poker,transfer,snapshots,binary-frames');

    await servers[2]!.kill('SIGKILL');
    await waitFor(
      async () => {
        await page.goto(`${ui}/instances`);
        await page.waitForSelector(`text=127.0.0.1:${ports[0]}`, { timeout: 5000 });
        const row = page.locator('li', { hasText: `127.0.0.1:${ports[2]}` }).last();
        return ((await row.textContent()) ?? '').includes('All service checks failing');
      },
      { what: 'the killed server critical in the Consul UI', timeout: 30_000 },
    );
    expect(((await page.textContent('main')) ?? '').match(/All service checks passing/g)).toHaveLength(2);
  });
});
