/**
 * @module
 * A request body over the limit on a keep-alive connection: the 413 either leaves the
 * connection usable or says `Connection: close`, so a client's next request never lands on a
 * socket the server is about to close ("socket hang up" / "other side closed"). Checked with
 * a `node:http` keep-alive agent holding one socket, bodies with a length and chunked ones,
 * against the gateway and a tank server (both apps come from `createApi`).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { useCleanup, useDatabase } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let token: string;
/** One socket, kept alive: a second request goes on the first one's connection if it can. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, servers: 1, databaseUrl: db.url });
  token = await mintToken({ secret: SECRET, userId: 'alice' });
}, 120_000);

afterAll(() => agent.destroy());

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  /** Which connection carried it. */
  socket: number;
}

const socketIds = new WeakMap<object, number>();
let nextSocketId = 0;

function send(
  base: string,
  method: string,
  path: string,
  body?: Buffer,
  { chunked = false } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
  if (body) {
    headers['content-type'] = 'application/json';
    if (!chunked) headers['content-length'] = body.length;
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          body: Buffer.concat(chunks).toString(),
          socket: socketIds.get(req.socket!) ?? -1,
        }),
      );
    });
    req.on('socket', (socket) => {
      if (!socketIds.has(socket)) socketIds.set(socket, nextSocketId++);
    });
    req.on('error', reject);
    if (body && chunked) {
      // Several chunks, so the limit is crossed while the body is still coming.
      for (let at = 0; at < body.length; at += 256 * 1024) req.write(body.subarray(at, at + 256 * 1024));
      req.end();
    } else req.end(body);
  });
}

const TWO_MB = Buffer.alloc(2 * 1024 * 1024, 'a');

const TARGETS: Array<[string, () => string]> = [
  ['the gateway', () => stack.gateway.url],
  ['a tank server', () => stack.servers[0]!.server.url],
];

describe.each(TARGETS)('a body over the limit on a keep-alive connection to %s', (_, base) => {
  for (const chunked of [false, true]) {
    it(`should answer 413 and then serve the next request (${chunked ? 'chunked' : 'with a length'})`, async () => {
      const refused = await send(base(), 'POST', '/api/tanks', TWO_MB, { chunked });
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'payload_too_large' });
      const next = await send(base(), 'GET', '/health');
      expect(next.status).toBe(200);
      // Either the connection stayed usable, or the 413 said it would close.
      if (next.socket !== refused.socket) expect(refused.connection).toBe('close');
      else expect(refused.connection).not.toBe('close');
    });
  }

  it('should keep a connection alive after a request within the limit', async () => {
    const body = Buffer.from(JSON.stringify({ name: 'Small', seed: 1 }));
    const first = await send(base(), 'POST', '/api/tanks', body);
    expect(first.status).toBe(201);
    expect(first.connection).toBe('keep-alive');
    const next = await send(base(), 'GET', '/health');
    expect(next).toMatchObject({ status: 200, socket: first.socket });
  });
});
