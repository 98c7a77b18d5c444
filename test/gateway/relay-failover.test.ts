/**
 * @module
 * The WebSocket relay following a failover, as processes: a `tankworld gateway` and two
 * `tankworld server`s on a real Consul agent, PostgreSQL and Redis. A client watching through
 * the gateway's `/ws/<tank_id>` keeps its one socket while the tank's server is SIGKILLed and
 * the gateway restores the tank on the other server: it gets the new server's `hello` and a
 * keyframe, frames go on from the restored frame, and its commands reach the new server.
 */
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { openViewer } from '../server/viewer.ts';
import {
  distributedEnv,
  freePorts,
  type ProgramHandle,
  startConsul,
  startRedis,
  startTankworld,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();
const SECRET = 'gateway-relay-failover-secret-0123456789';

interface Created {
  tank: { tank_id: string; server_id: string; epoch: number };
}

describe('the relay across a SIGKILL failover', () => {
  it('should keep the client on one socket and feed it from the new server', async () => {
    const [consul, redis, database] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
    ]);
    const [gatewayPort, ...serverPorts] = await freePorts(3);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const env = { ...distributedEnv({ consul, database, redis, secret: SECRET }), CHECK_TTL: '2s' };
    await startTankworld({
      role: 'gateway',
      id: 'gw-relay',
      port: gatewayPort!,
      env: { ...env, FAILOVER_GRACE_MS: '1000' },
      cleanup,
    });
    const servers = new Map<string, ProgramHandle>();
    for (const [i, id] of ['srv-one', 'srv-two'].entries()) {
      servers.set(
        id,
        await startTankworld({
          role: 'server',
          id,
          port: serverPorts[i]!,
          env: { ...env, SNAPSHOT_INTERVAL_MS: '500' },
          cleanup,
        }),
      );
    }
    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await waitFor(
      async () => {
        const res = await fetch(`${gatewayUrl}/api/servers`, { headers });
        const body = (await res.json()) as { servers: Array<{ status: string }> };
        return body.servers.filter((s) => s.status === 'online').length === 2;
      },
      { what: 'two online servers at the gateway', timeout: 30_000 },
    );
    const res = await fetch(`${gatewayUrl}/api/tanks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Survivor', is_public: true }),
    });
    expect(res.status).toBe(201);
    const { tank } = (await res.json()) as Created;

    const viewer = openViewer(`ws://127.0.0.1:${gatewayPort}/ws/${tank.tank_id}?format=json&token=${token}`);
    cleanup.add(() => viewer.ws.terminate());
    await viewer.nextText((m) => m.type === 'hello', 'the first hello');
    // A snapshot past the start, so the restore has one to start from.
    await waitFor(() => viewer.texts.filter((m) => m.type !== 'hello').length > 30, { what: 'frames' });
    await new Promise((r) => setTimeout(r, 1200));

    await servers.get(tank.server_id)!.kill('SIGKILL');
    const survivor = [...servers.keys()].find((id) => id !== tank.server_id)!;
    const second = await waitFor(() => viewer.texts.filter((m) => m.type === 'hello')[1], {
      what: "the new server's hello on the same socket",
      timeout: 40_000,
      interval: 50,
    });
    expect(viewer.ws.readyState).toBe(viewer.ws.OPEN);
    const helloAt = viewer.texts.indexOf(second);
    // Frames go on from the new server, from the frame it restored (its hello's) on.
    const isFrame = (m: Record<string, unknown>) => m.type === undefined && typeof m.frame === 'number';
    await waitFor(() => viewer.texts.slice(helloAt + 1).filter(isFrame).length >= 10, {
      what: 'frames after the failover',
    });
    const after = viewer.texts.slice(helloAt + 1).filter(isFrame);
    expect(after[0]!.frame as number).toBeGreaterThanOrEqual(second.frame as number);
    expect(after.map((m) => m.frame as number)).toEqual(
      [...after.map((m) => m.frame as number)].sort((a, b) => a - b),
    );
    // No `moved`, `fenced` or close reached the client: only the second hello tells of the change.
    expect(viewer.texts.filter((m) => m.type === 'hello')).toHaveLength(2);
    viewer.send({ type: 'ping', id: 'after' });
    const pong = await viewer.nextText(
      (m) => m.type === 'pong' && m.id === 'after',
      'a pong from the new server',
    );
    expect(pong.frame as number).toBeGreaterThan(0);
    const lookup = await (await fetch(`${gatewayUrl}/api/tanks/${tank.tank_id}/server`, { headers })).json();
    expect(lookup).toMatchObject({ server_id: survivor });
  });
});
