/**
 * @module
 * The gateway's client for calls to tank servers (`createNodeFetch`) against a real HTTP server:
 * what `fetch` gives a caller (status, every header, the exact body both ways, no redirects
 * followed, empty bodies), connections kept between calls, and failures the server client maps
 * to 502/504: refused, cut off mid-answer, past the deadline, switched to another protocol (101).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeFetch, type NodeFetch } from '../../src/http/index.ts';
import { freePort } from '../support/index.ts';

let server: Server | undefined;
let client: NodeFetch | undefined;

afterEach(async () => {
  client?.close();
  if (server) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('createNodeFetch', () => {
  it('should send the exact body and headers and give back status, every header and the body', async () => {
    const base = await serve(async (req, res) => {
      const body = await bodyOf(req);
      res.statusCode = 409;
      res.setHeader('content-type', 'application/problem+json');
      res.setHeader('x-echo-signature', String(req.headers['x-signature']));
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(JSON.stringify({ method: req.method, url: req.url, body: body.toString('base64') }));
    });
    client = createNodeFetch();
    const sent = new Uint8Array([0, 1, 2, 250, 255]);
    const res = await client(new URL('/internal/x?y=1', base), {
      method: 'POST',
      headers: { 'x-signature': 'abc', 'content-type': 'application/octet-stream' },
      body: sent,
    });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('x-echo-signature')).toBe('abc');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({
      method: 'POST',
      url: '/internal/x?y=1',
      body: Buffer.from(sent).toString('base64'),
    });
  });

  it('should keep its connection between calls, not follow redirects, and give no body for 204', async () => {
    const peers = new Set<number>();
    const base = await serve((req, res) => {
      peers.add(req.socket.remotePort!);
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere' }).end();
      } else res.writeHead(204).end();
    });
    client = createNodeFetch();
    for (let i = 0; i < 5; i++) {
      const res = await client(`${base}/empty`, { method: 'DELETE' });
      expect(res.status).toBe(204);
      expect(res.body).toBeNull();
    }
    const moved = await client(`${base}/moved`);
    expect(moved.status).toBe(302);
    expect(moved.headers.get('location')).toBe('/elsewhere');
    expect(peers.size).toBe(1);
  });

  it('should reject a refused connection, an answer cut off midway and a call past its deadline', async () => {
    client = createNodeFetch();
    const closed = await freePort();
    await expect(client(`http://127.0.0.1:${closed}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const base = await serve((req, res) => {
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"partial":');
        setImmediate(() => res.socket?.destroy());
      }
      // '/stall' never answers.
    });
    await expect(client(`${base}/cut`)).rejects.toThrow();
    const stalled = client(`${base}/stall`, { signal: AbortSignal.timeout(50) });
    await expect(stalled).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('should reject at once an answer that switches protocols (101), with or without a deadline', async () => {
    client = createNodeFetch();
    server = createServer();
    // Whatever listens there takes the connection over, as a WebSocket server would.
    server.on('upgrade', (_req, socket) => {
      socket.on('error', () => {});
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const headers = { connection: 'upgrade', upgrade: 'websocket' };
    await expect(client(`${base}/`, { headers })).rejects.toThrow(/switched protocols/);
    const began = performance.now();
    await expect(client(`${base}/`, { headers, signal: AbortSignal.timeout(5000) })).rejects.toThrow(
      /switched protocols/,
    );
    expect(performance.now() - began).toBeLessThan(1000);
  });
});
