/**
 * @module
 * A client that goes away halfway through the body of a request the gateway forwards to a tank
 * server: that is the client's doing, so the gateway answers 400 (to nobody) and logs no error.
 * It used to take the body read's `aborted` for a fault of its own: a 500 and an error log with
 * a stack, one per such client.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let token: string;
let tankId: string;
/** The gateway's log lines, parsed. */
const logged: Array<{ level: string; msg: string }> = [];

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logged.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination: destination as never });
  stack = await startGatewayStack({ cleanup, servers: 1, databaseUrl: db.url, gateway: { logger } });
  token = await mintToken({ secret: SECRET, userId: 'alice' });
  const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name: 'Target' },
  });
  tankId = tank.tank_id;
}, 120_000);

/** Sends the head and the start of a 1000-byte body, then resets the connection. */
function abortMidBody(path: string): Promise<void> {
  const port = Number(new URL(stack.gateway.url).port);
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"amount":',
      );
      setTimeout(() => socket.resetAndDestroy(), 50);
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

describe('a client that goes away mid-body on a forwarded route', () => {
  it('should be no error of the gateway’s (no error log, no 500)', async () => {
    for (const path of [`/api/tanks/${tankId}/food`, `/api/tanks/${tankId}/fish`]) await abortMidBody(path);
    // Both answers are counted by route and status on /metrics once they are given.
    const counted = await waitFor(
      async () => {
        const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
        const lines = text
          .split('\n')
          .filter((l) => /_http_request_duration_seconds_count\{.*route="[^"]*\/(food|fish)"/.test(l));
        return lines.length >= 2 ? lines : undefined;
      },
      { what: 'both answers counted', timeout: 5000 },
    );
    for (const line of counted) expect(line).toMatch(/status="400"/);
    expect(logged.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    const health = await fetch(`${stack.gateway.url}/health`);
    expect(health.status).toBe(200);
    await health.body?.cancel();
  });
});
