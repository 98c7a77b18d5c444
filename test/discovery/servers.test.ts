/**
 * @module
 * Tank servers on a real Consul agent, as separate processes: three register and each one's
 * `/api/servers` lists all three; with the agent killed their tanks keep ticking and readers
 * get the last known view marked stale; when a fresh agent comes back every server is
 * registered again within one heartbeat.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { freePorts, startConsul, startProgram, useCleanup, useDatabase, waitFor } from '../support/index.ts';

const cleanup = useCleanup();
const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'servers-test-secret-0123456789';
const HEARTBEAT_MS = 1000;

interface ServersReply {
  servers: Array<{ server: { server_id: string; tank_count: number } }>;
  stale: boolean;
}

async function json<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`${url} → ${res.status}`);
  return (await res.json()) as T;
}

async function consulServerIds(httpAddr: string): Promise<string[]> {
  const entries =
    (await json<Array<{ Service: { ID: string } }>>(`http://${httpAddr}/v1/health/service/tank-server`)) ??
    [];
  return entries.map((e) => e.Service.ID).sort();
}

describe('tank servers on a real Consul agent', () => {
  it('should register three processes, keep ticking through a Consul outage and re-register within a heartbeat', async () => {
    const consul = await startConsul({ cleanup });
    const db = await useDatabase({ cleanup });
    const ports = await freePorts(3);
    const ids = ['alpha', 'beta', 'gamma'];
    const servers = await Promise.all(
      ids.map((id, i) =>
        startProgram({
          name: `tank-server-${id}`,
          command: process.execPath,
          args: [path.join(ROOT, 'src/cli.ts'), 'server', '--port', String(ports[i]), '--server-id', id],
          cwd: ROOT,
          env: {
            DISTRIBUTED_MODE: 'false',
            DISCOVERY: 'consul',
            CONSUL_HTTP_ADDR: consul.httpAddr,
            DATABASE_URL: db.url,
            JWT_SECRET: SECRET,
            INTERNAL_SECRET: SECRET,
            HEARTBEAT_MS: String(HEARTBEAT_MS),
            CHECK_TTL: '5s',
            LOG_LEVEL: 'warn',
          },
          ready: async () =>
            (await json<{ server_id: string }>(`http://127.0.0.1:${ports[i]}/health`)).server_id === id,
          cleanup,
        }),
      ),
    );
    expect(servers).toHaveLength(3);

    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    // Every server's own view lists all three.
    for (const port of ports) {
      await waitFor(
        async () => {
          const reply = await json<ServersReply>(`http://127.0.0.1:${port}/api/servers`, token);
          return (
            reply.servers
              .map((s) => s.server.server_id)
              .sort()
              .join() === ids.join()
          );
        },
        { what: `all three servers in /api/servers of :${port}`, timeout: 15_000 },
      );
    }
    expect(await consulServerIds(consul.httpAddr)).toEqual(ids);

    const created = await fetch(`http://127.0.0.1:${ports[0]}/api/tanks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'outage' }),
    });
    expect(created.status).toBe(201);
    const tankId = ((await created.json()) as { tank: { tank_id: string } }).tank.tank_id;
    const frameOf = async () =>
      (await json<{ frame: number }>(`http://127.0.0.1:${ports[0]}/api/tanks/${tankId}`, token)).frame;

    await consul.kill();
    const before = await frameOf();
    await waitFor(async () => (await frameOf()) > before + 30, {
      what: 'the tank ticking while Consul is down',
      timeout: 10_000,
    });
    const stale = await json<ServersReply>(`http://127.0.0.1:${ports[1]}/api/servers`, token);
    expect(stale.stale).toBe(true);
    expect(stale.servers.map((s) => s.server.server_id).sort()).toEqual(ids);

    // A restarted dev agent has forgotten every registration: the next heartbeat re-registers
    // (the wait allows one heartbeat interval plus the agent's start).
    await consul.restart();
    await waitFor(async () => (await consulServerIds(consul.httpAddr)).join() === ids.join(), {
      what: 'every server registered again',
      timeout: HEARTBEAT_MS * 2 + 2000,
      interval: 50,
    });
    const fresh = await json<ServersReply>(`http://127.0.0.1:${ports[2]}/api/servers`, token);
    expect(fresh.stale).toBe(false);
  });
});
