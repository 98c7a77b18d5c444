/**
 * @module
 * Requests Node's HTTP parser refuses before the app sees them, on the gateway's and a tank
 * server's real ports: a request line past 16 KiB (found by the fuzzer, `test/fuzz/`), headers
 * past it, and bytes that are not HTTP. Each gets its status as application/problem+json, as
 * every other answer does, not Node's bare status line.
 */
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup } from '../support/index.ts';
import { type GatewayStack, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let targets: Array<[string, string]>;

beforeAll(async () => {
  stack = await startGatewayStack({ cleanup, servers: 1 });
  targets = [
    ['the gateway', stack.gateway.url],
    ['a tank server', stack.servers[0]!.server.url],
  ];
}, 120_000);

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(await res.json()).toMatchObject({ type: `/problems/${code}`, status, code });
}

/** Writes `bytes` on a fresh connection and returns all the server sends back before closing. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describe('requests refused by the HTTP parser', () => {
  it('should answer a request line past 16 KiB with a 431 problem', async () => {
    for (const [, url] of targets)
      await expectProblem(await fetch(`${url}/api/tanks/${'%5B'.repeat(7000)}`), 431, 'headers_too_large');
  });

  it('should answer headers past 16 KiB with a 431 problem', async () => {
    for (const [, url] of targets)
      await expectProblem(
        await fetch(`${url}/health`, { headers: { 'x-padding': 'p'.repeat(20_000) } }),
        431,
        'headers_too_large',
      );
  });

  it('should answer bytes that are not HTTP with a 400 problem and close', async () => {
    for (const [, url] of targets) {
      const answer = await rawExchange(url, 'GARBAGE \u0001\u0002 NOT-HTTP\r\n\r\n');
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head.toLowerCase()).toContain('content-type: application/problem+json');
      expect(JSON.parse(body)).toMatchObject({ status: 400, code: 'malformed_request' });
    }
  });

  it('should go on answering ordinary requests afterwards', async () => {
    for (const [, url] of targets) expect((await fetch(`${url}/health`)).status).toBeLessThan(500);
  });
});
