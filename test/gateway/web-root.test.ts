/**
 * @module
 * What the gateway serves at `/`: the built web app when its folder exists (pages and assets
 * with their content types, never a file outside the folder, the API routes unchanged beside
 * it), and without it a small JSON index of the API, so a curl user is not met by a bare 404.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let withWeb: Gateway;
let root: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-web-root-'));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  root = path.join(dir, 'dist');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>dashboard</title>');
  await writeFile(path.join(root, 'tank.html'), '<!doctype html><title>viewer</title>');
  await writeFile(path.join(root, 'assets', 'app.js'), 'console.log("app");');
  // Beside the web root, so a path that climbs out of it would find it.
  await writeFile(path.join(dir, 'secret.txt'), 'not for the web');
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({
    cleanup,
    databaseUrl: db.url,
    gateway: { webRoot: path.join(dir, 'missing') },
  });
  withWeb = await stack.addGateway('gateway-web', { webRoot: root });
}, 120_000);

/** A raw GET on the gateway's socket, so the path reaches it exactly as written. */
async function get(gateway: Gateway, pathname: string): Promise<Response> {
  return fetch(`${gateway.url}${pathname}`);
}

describe('the gateway with a built web app', () => {
  it('should serve index.html at / and pages and assets by name, with their types', async () => {
    const index = await get(withWeb, '/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('<title>dashboard</title>');
    const page = await get(withWeb, '/tank.html');
    expect(await page.text()).toContain('<title>viewer</title>');
    const asset = await get(withWeb, '/assets/app.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(await asset.text()).toBe('console.log("app");');
  });

  it('should keep the API routes as they are beside the app', async () => {
    const health = await get(withWeb, '/health');
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('healthy');
    // Without a credential the list answers as to a guest; a bad token is refused as ever.
    expect((await get(withWeb, '/api/tanks')).status).toBe(200);
    const tanks = await fetch(`${withWeb.url}/api/tanks`, { headers: { authorization: 'Bearer forged' } });
    expect(tanks.status).toBe(401);
    expect(tanks.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('should answer a missing file, or one outside the folder, with a 404 problem', async () => {
    for (const pathname of [
      '/assets/nope.js',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
    ]) {
      const res = await get(withWeb, pathname);
      const text = await res.text();
      expect(res.status, pathname).toBe(404);
      expect(text, pathname).not.toContain('not for the web');
    }
  });
});

describe('the gateway without a built web app', () => {
  it('should answer / with a JSON index of the API', async () => {
    const res = await get(stack.gateway, '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { name: string; version: string; links: string[] };
    expect(body.name).toBe('Tank World Net gateway');
    expect(body.links).toEqual(
      expect.arrayContaining([
        '/api/tanks',
        '/gateway/tanks/{tank_id}',
        '/api/servers',
        '/api/events',
        '/health',
      ]),
    );
    expect((await get(stack.gateway, '/index.html')).status).toBe(404);
  });
});
