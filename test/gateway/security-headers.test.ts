/**
 * @module
 * Security headers on every answer of the gateway (the web app's pages and assets, the API, its
 * errors and unknown paths) and of a tank server's API: a Content-Security-Policy that lets the
 * built app run (its own scripts, styles and API, and the tank servers' WebSockets on other
 * hosts and ports) and nothing else, no framing, no MIME sniffing and no referrer.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/index.ts';
import { useCleanup } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let withWeb: Gateway;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-headers-'));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'assets'), { recursive: true });
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>dashboard</title>');
  await writeFile(path.join(dir, 'assets', 'app.js'), 'console.log("app");');
  stack = await startGatewayStack({ cleanup });
  withWeb = await stack.addGateway('gateway-web', { webRoot: dir });
}, 120_000);

/** The policy as directive → sources, so it is compared whole, whatever the order. */
function policy(res: Response): Record<string, string[]> {
  const header = res.headers.get('content-security-policy');
  expect(header, res.url).toBeTruthy();
  return Object.fromEntries(
    header!
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

function expectCommonHeaders(res: Response): void {
  expect(
    {
      nosniff: res.headers.get('x-content-type-options'),
      referrer: res.headers.get('referrer-policy'),
      frame: res.headers.get('x-frame-options'),
    },
    res.url,
  ).toEqual({ nosniff: 'nosniff', referrer: 'no-referrer', frame: 'DENY' });
}

const WEB_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'", 'ws:', 'wss:'],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

describe('the gateway', () => {
  it('should send the web policy and the other headers with pages, assets and API answers', async () => {
    const token = await stack.servers[0]!.token('alice');
    const answers = await Promise.all([
      fetch(`${withWeb.url}/`),
      fetch(`${withWeb.url}/assets/app.js`),
      fetch(`${withWeb.url}/assets/missing.js`),
      fetch(`${withWeb.url}/health`),
      fetch(`${withWeb.url}/openapi.json`),
      // A bad token is refused (no credential at all would read as a guest).
      fetch(`${withWeb.url}/api/tanks`, { headers: { authorization: 'Bearer forged' } }),
      fetch(`${withWeb.url}/api/tanks`, { headers: { authorization: `Bearer ${token}` } }),
      fetch(`${withWeb.url}/api/tanks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"name":',
      }),
      fetch(`${stack.gateway.url}/`),
    ]);
    expect(answers.map((res) => res.status)).toEqual([200, 200, 404, 200, 200, 401, 200, 400, 200]);
    for (const res of answers) {
      expect(policy(res), res.url).toEqual(WEB_POLICY);
      expectCommonHeaders(res);
    }
  });
});

describe('a tank server', () => {
  it('should send a policy that allows nothing, and the other headers, with its API answers', async () => {
    const server = stack.servers[0]!;
    const answers = await Promise.all([
      server.request('/health'),
      server.request('/api/tanks'),
      server.request('/api/tanks', { user: 'alice' }),
      server.request('/nowhere'),
    ]);
    expect(answers.map((res) => res.status)).toEqual([200, 401, 200, 404]);
    for (const res of answers) {
      expect(policy(res)).toEqual({
        'default-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'none'"],
        'frame-ancestors': ["'none'"],
      });
      expectCommonHeaders(res);
    }
  });
});
