/**
 * @module
 * `tankworld dev` as a process (a gateway and two tank servers in one OS process) against
 * clients that send what they should not: WebSocket frames over the size limit and text that
 * is not UTF-8 (with and without a token), malformed HTTP, upgrades to paths that are not
 * `/ws/…`, upgrades reset mid-way, and odd requests for the dashboard's files. Each such client gets its own socket closed; the process
 * lives on, every port still answers, and a viewer of a tank keeps receiving frames.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../../src/auth/index.ts';
import { createCleanup, freePort, startProgram, waitFor } from '../support/index.ts';
import { SECRET } from './fixture.ts';
import { upgradeAndSend } from './raw-ws.ts';
import { type Closed, openViewer } from './viewer.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface ServersReply {
  servers: Array<{ server_id: string; public_url: string; ws_url: string }>;
}

interface Listed {
  tanks: Array<{ tank: { tank_id: string; server_id: string | null } }>;
}

/** Sends `data` as a text frame the moment the socket opens; resolves with the close code. */
function sendOnOpen(url: string, data: string | Buffer, cleanup: ReturnType<typeof createCleanup>) {
  const ws = new WebSocket(url);
  cleanup.add(() => ws.terminate());
  ws.on('error', () => {});
  ws.on('open', () => ws.send(data, { binary: false }));
  return new Promise<Closed>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/**
 * Writes `text` on a raw TCP connection; resolves with the first line of the answer ('' when
 * the connection closed without one). With `reset`, the client resets the connection instead
 * of waiting.
 */
function raw(port: number, text: string, { reset = false } = {}): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(text);
      if (reset) setTimeout(() => socket.resetAndDestroy(), 20);
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
  });
}

const TOO_BIG = 'x'.repeat(20_000);
const NOT_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
const UPGRADE = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n';

describe('tankworld dev against hostile clients', () => {
  it('should close only the offending sockets and keep serving every port and viewer', async ({
    onTestFinished,
  }) => {
    const cleanup = createCleanup();
    onTestFinished(cleanup.run);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tankworld-hostile-'));
    cleanup.add(() => rm(dataDir, { recursive: true, force: true }));
    const gatewayPort = await freePort();
    const gateway = `http://127.0.0.1:${gatewayPort}`;
    await startProgram({
      name: 'tankworld-dev-hostile',
      command: process.execPath,
      args: [path.join(ROOT, 'src/cli.ts'), 'dev', '--port', '0', '--gateway-port', String(gatewayPort)],
      cwd: ROOT,
      env: {
        TANKWORLD_DATA_DIR: dataDir,
        DATABASE_URL: '',
        REDIS_URL: '',
        JWT_SECRET: SECRET,
        INTERNAL_SECRET: SECRET,
        LOG_LEVEL: 'warn',
      },
      ready: async () => ((await (await fetch(`${gateway}/health`)).json()) as { status: string }).status,
      startTimeout: 60_000,
      cleanup,
    });
    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const auth = { authorization: `Bearer ${token}` };
    const created = await fetch(`${gateway}/api/tanks`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Second', seed: 7 }),
    });
    expect(created.status).toBe(201);
    const { servers, tanks } = await waitFor(
      async () => {
        const reply = (await (
          await fetch(`${gateway}/api/servers`, { headers: auth })
        ).json()) as ServersReply;
        const listed = (await (await fetch(`${gateway}/api/tanks`, { headers: auth })).json()) as Listed;
        const placed = listed.tanks.filter((t) => t.tank.server_id !== null);
        return reply.servers.length === 2 && placed.length === 2 ? { ...reply, tanks: placed } : undefined;
      },
      { what: 'two servers and two tanks listed', timeout: 30_000 },
    );
    const tankOn = (serverId: string) => tanks.find((t) => t.tank.server_id === serverId)?.tank.tank_id;
    const watched = servers.find((s) => tankOn(s.server_id))!;
    const viewer = openViewer(`${watched.ws_url}/ws/${tankOn(watched.server_id)}?token=${token}`);
    cleanup.add(() => viewer.ws.terminate());
    await waitFor(() => viewer.frames.length > 0, { what: 'a first frame', timeout: 20_000 });

    for (const server of servers) {
      const ws = server.ws_url;
      const port = Number(new URL(server.public_url).port);
      // A tank the server runs, else one it does not know (its lookup takes the same time).
      const tank = tankOn(server.server_id) ?? 'no-such-tank';
      // In the upgrade's own write, so read while the token is checked: 1009 and 1007.
      for (const [payload, code] of [
        [TOO_BIG, 1009],
        [NOT_UTF8, 1007],
      ] as const) {
        const result = await upgradeAndSend(`${ws}/ws/${tank}?token=${token}`, Buffer.from(payload));
        expect(result.closeCode).toBe(code);
      }
      // The report's repro: no token, the frame sent once open (refused 4401 before it is read).
      expect([4401, 1009]).toContain((await sendOnOpen(`${ws}/ws/${tank}`, TOO_BIG, cleanup)).code);
      expect([4401, 1007]).toContain((await sendOnOpen(`${ws}/ws/${tank}`, NOT_UTF8, cleanup)).code);
      // Malformed HTTP, an upgrade to a path that is not /ws/…, upgrades reset half-way.
      expect(await raw(port, 'NOT HTTP AT ALL\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
      expect(await raw(port, `GET /health HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`)).toBe('');
      await raw(port, `GET /ws/${tank} HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`, { reset: true });
      await raw(port, `GET /ws/${tank} HTTP/1.1\r\nHost: x\r\n${UPGRADE}Sec-WebSocket-Key: bad\r\n\r\n`);
    }
    expect(await raw(gatewayPort, 'NOT HTTP AT ALL\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    await raw(gatewayPort, `GET /api/events HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`, { reset: true });
    // The dashboard's files: ranges that fit nothing, paths that leave the web root.
    for (const range of ['bytes=5-3', 'bytes=99999999999999999999999-', 'bytes=-0'])
      expect(await raw(gatewayPort, `GET /index.html HTTP/1.1\r\nHost: x\r\nRange: ${range}\r\n\r\n`)).toBe(
        'HTTP/1.1 416 Range Not Satisfiable',
      );
    for (const outside of ['/..%2f..%2f..%2fetc%2fpasswd', '/%E0%A4%A', '/%00', `/${'a'.repeat(5000)}`])
      expect(await raw(gatewayPort, `GET ${outside} HTTP/1.1\r\nHost: x\r\n\r\n`)).not.toMatch(/ 200 /);

    const seen = viewer.frames.length;
    await waitFor(() => viewer.frames.length >= seen + 3, { what: 'three more frames', timeout: 10_000 });
    expect(viewer.ws.readyState).toBe(WebSocket.OPEN);
    for (const url of [gateway, ...servers.map((s) => s.public_url)]) {
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      await health.body?.cancel();
    }
  });
});
