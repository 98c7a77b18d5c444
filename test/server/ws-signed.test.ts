/**
 * @module
 * WebSocket upgrades a gateway's relay signs with the internal secret, on a tank server with
 * two sockets per client address: verified ones are not counted per address (the relay's one
 * address stands for every viewer behind it), only per user; unsigned, forged and replayed
 * ones count as a client's and are refused 429 once the address is full. Sockets that go away
 * while their signature is checked hold nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signRequest } from '../../src/auth/index.ts';
import { createLimits, createMemoryLimitBackend, type Limits, NO_LIMITS } from '../../src/limits/index.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { SECRET, startTestServer, type TestServer } from './fixture.ts';

const cleanup = useCleanup();
let server: TestServer;
let limits: Limits;
let tankId: string;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  limits = createLimits({
    backend: createMemoryLimitBackend(),
    config: { ...NO_LIMITS, wsPerAddress: 2, wsPerUser: 3 },
    scope: 'server',
  });
  server = await startTestServer({ cleanup, databaseUrl: db.url, serverId: 'ws-signed', limits });
  const path = '/internal/tanks';
  const body = JSON.stringify({ tank_id: randomUUID(), name: 'Relayed', owner: 'owner', initial_fish: 0 });
  const res = await fetch(`${server.server.url}${path}`, {
    method: 'POST',
    headers: {
      ...signRequest({ secret: SECRET, method: 'POST', path, body }),
      'content-type': 'application/json',
    },
    body,
  });
  expect(res.status).toBe(201);
  tankId = ((await res.json()) as { tank: { tank_id: string } }).tank.tank_id;
});

/** How an upgrade ended: a hello (admitted), an HTTP status (refused before), or a close code. */
type Outcome = { hello: true } | { status: number; policy?: string } | { close: number };

const path = () => `/ws/${tankId}?format=json`;
const signed = (secret = SECRET) => signRequest({ secret, method: 'GET', path: path() });

async function attempt(user: string, headers: Record<string, string> = {}): Promise<Outcome> {
  const token = await server.token(user);
  const ws = new WebSocket(`${server.server.wsUrl}${path()}`, {
    headers: { ...headers, authorization: `Bearer ${token}` },
  });
  // Closed when the test ends, whatever became of it.
  cleanup.add(() => ws.terminate());
  return new Promise((resolve) => {
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, policy: (JSON.parse(body) as { policy?: string }).policy }),
      );
    });
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'hello') resolve({ hello: true });
    });
    ws.on('close', (code) => resolve({ close: code }));
  });
}

/** Sends a (signed) upgrade's request and drops the connection at once, before any answer. */
function abandon(headers: Record<string, string>): Promise<void> {
  const { hostname, port } = new URL(server.server.url);
  const lines = [
    `GET ${path()} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ];
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(lines.join('\r\n'));
      socket.resetAndDestroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

describe('signed WebSocket upgrades (a gateway relay’s)', () => {
  it('should admit signed upgrades beyond the address limit, counted per user, and refuse unsigned and replayed ones', async () => {
    // Four signed viewers from one address whose limit is two: none is counted against it.
    const first = signed();
    expect(await attempt('relayed-a', first)).toEqual({ hello: true });
    for (const user of ['relayed-a', 'relayed-a', 'relayed-b'])
      expect(await attempt(user, signed())).toEqual({ hello: true });
    // The user's own limit (three) still holds for signed upgrades: closed 4429 at admission.
    expect(await attempt('relayed-a', signed())).toEqual({ close: 4429 });
    // The address's two places are still free for unsigned clients, and then full.
    expect(await attempt('client-1')).toEqual({ hello: true });
    expect(await attempt('client-2')).toEqual({ hello: true });
    const full = { status: 429, policy: 'ws-per-address' };
    expect(await attempt('client-3')).toEqual(full);
    // A replayed signature, a forged one and a stale one count as a client's: refused too.
    expect(await attempt('relayed-c', first)).toEqual(full);
    expect(await attempt('relayed-c', signed('another-secret-0123456789abcdef'))).toEqual(full);
    const stale = signRequest({ secret: SECRET, method: 'GET', path: path(), now: Date.now() - 120_000 });
    expect(await attempt('relayed-c', stale)).toEqual(full);
    // A signature over another path is not this upgrade's.
    const other = signRequest({ secret: SECRET, method: 'GET', path: `/ws/${tankId}` });
    expect(await attempt('relayed-c', other)).toEqual(full);
    expect(await attempt('relayed-c', signed())).toEqual({ hello: true });
  });

  it('should hold nothing for upgrades that go away while their signature is checked', async () => {
    const address = (() => {
      // The count for this client's address, whichever form (v4, v4-mapped v6) the server sees.
      const forms = ['127.0.0.1', '::ffff:127.0.0.1', '::1'];
      return () => forms.reduce((sum, a) => sum + limits.ws.held({ address: a }), 0);
    })();
    const before = address();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        abandon(i % 2 === 0 ? signed() : signed('another-secret-0123456789abcdef')),
      ),
    );
    await waitFor(() => address() === before, { what: 'the address count back where it was' });
    // The server still serves: a signed viewer is admitted.
    expect(await attempt('relayed-d', signed())).toEqual({ hello: true });
    expect(limits.ws.held({ user: 'relayed-d' })).toBe(1);
  });
});
