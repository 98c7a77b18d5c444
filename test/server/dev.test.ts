/**
 * @module
 * `npm start` (`tankworld dev`) from a fresh data folder: two tank servers on an embedded PGlite
 * store. Once its HTTP port answers, the default tank is served (listed and streaming frames to
 * a viewer) within 2 s; what it prints works; a second start on the same folder brings the same
 * tank back instead of making another.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { createCleanup, freePort, startProgram, waitFor } from '../support/index.ts';
import { SECRET } from './fixture.ts';
import { openViewer } from './viewer.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The bar: a fresh `npm start` serves a tank within 2 s of being up. */
const SERVE_WITHIN_MS = 2000;

/** dev puts server i on PORT + i - 1: two neighbouring free ports. */
async function neighbouringPorts(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    const next = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen({ host: '127.0.0.1', port: port + 1, exclusive: true }, () =>
        probe.close(() => resolve(true)),
      );
    });
    if (next) return port;
  }
  throw new Error('no two neighbouring free ports');
}

interface ServersReply {
  servers: Array<{
    server: { server_id: string; ws_url: string };
    tanks: Array<{ tank: { tank_id: string } }>;
  }>;
}

describe('npm start (tankworld dev)', () => {
  it('should serve its default tank within 2 s of being up, print working URLs, and keep the tank across restarts', async ({
    onTestFinished,
  }) => {
    const cleanup = createCleanup();
    onTestFinished(cleanup.run);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tankworld-dev-'));
    cleanup.add(() => rm(dataDir, { recursive: true, force: true }));
    const port = await neighbouringPorts();
    const base = `http://127.0.0.1:${port}`;
    const gatewayPort = await freePort();
    const gateway = `http://127.0.0.1:${gatewayPort}`;

    const began = performance.now();
    const dev = await startProgram({
      name: 'tankworld-dev',
      command: process.execPath,
      args: [
        path.join(ROOT, 'src/cli.ts'),
        'dev',
        '--port',
        String(port),
        '--gateway-port',
        String(gatewayPort),
      ],
      cwd: ROOT,
      env: {
        TANKWORLD_DATA_DIR: dataDir,
        // The embedded default: no external store or Redis, whatever the harness exported.
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
    const up = performance.now();

    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const listed = async () => {
      const reply = (await (
        await fetch(`${base}/api/servers`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as ServersReply;
      const entry = reply.servers.find((s) => s.tanks.length > 0);
      return (
        entry && { tankId: entry.tanks[0]!.tank.tank_id, wsUrl: entry.server.ws_url, count: reply.servers }
      );
    };
    const found = await waitFor(listed, { what: 'the default tank listed', timeout: 30_000, interval: 20 });
    const viewer = openViewer(`${found.wsUrl}/ws/${found.tankId}?token=${token}`);
    cleanup.add(() => viewer.ws.terminate());
    await waitFor(() => viewer.frames.length > 0, { what: 'a first frame', timeout: 30_000, interval: 10 });
    const served = performance.now();
    console.log(
      `[dev] HTTP up ${Math.round(up - began)} ms after spawn; default tank streaming ${Math.round(served - up)} ms later`,
    );
    expect(served - up).toBeLessThan(SERVE_WITHIN_MS);
    expect(found.count.map((s) => s.server.server_id).sort()).toEqual(['server-1', 'server-2']);

    // What it printed: both servers, the default tank, a token that works, curl lines.
    const printed: string = await waitFor(
      async () => {
        const text = await readFile(dev.logFile, 'utf8');
        return text.includes('Ctrl-C stops everything') ? text : undefined;
      },
      { what: 'the welcome text', timeout: 10_000 },
    );
    expect(printed).toContain(`gateway:     ${gateway}`);
    expect(printed).toContain(`tank server: ${base}   (server-1`);
    expect(printed).toContain(`tank server: http://127.0.0.1:${port + 1}   (server-2`);
    expect(printed).toContain(`default tank: ${found.tankId}`);
    const printedToken = /export TOKEN=(\S+)/.exec(printed)?.[1];
    expect(printedToken).toBeDefined();
    const curl = /curl -s (\S+\/api\/tanks\/\S+\/stats)/.exec(printed)?.[1];
    expect(curl).toBe(`${gateway}/api/tanks/${found.tankId}/stats`);
    const stats = await fetch(curl!, { headers: { authorization: `Bearer ${printedToken}` } });
    expect(stats.status).toBe(200);

    // A second start on the same folder: the same single tank, continuing where it stopped.
    viewer.close();
    const frameBefore = (
      (await (
        await fetch(`${base}/api/tanks/${found.tankId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { frame: number }
    ).frame;
    await dev.restart();
    const again = await waitFor(listed, { what: 'the tank after a restart', timeout: 30_000 });
    expect(again.tankId).toBe(found.tankId);
    const reply = (await (
      await fetch(`${base}/api/servers`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as ServersReply;
    expect(reply.servers.flatMap((s) => s.tanks)).toHaveLength(1);
    const after = (await (
      await fetch(`${base}/api/tanks/${found.tankId}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { frame: number };
    expect(after.frame).toBeGreaterThanOrEqual(frameBefore);
  });

  it('should say which port is taken and how to choose another, with no stack, when the gateway port is busy', async ({
    onTestFinished,
  }) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tankworld-dev-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
    onTestFinished(async () => {
      taken.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    const busyPort = (taken.address() as { port: number }).port;
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'src/cli.ts'),
        'dev',
        '--port',
        String(await neighbouringPorts()),
        '--gateway-port',
        String(busyPort),
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          TANKWORLD_DATA_DIR: dataDir,
          DATABASE_URL: '',
          REDIS_URL: '',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain(`127.0.0.1:${busyPort} is already in use`);
    expect(stderr).toContain('GATEWAY_PORT');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
