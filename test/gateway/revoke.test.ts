/**
 * @module
 * A grant or revoke made through one gateway holds on every gateway at once: each gateway
 * caches levels for a few seconds, and the `permission_changed` event the change publishes
 * drops that cache on the others (before, a revoked user kept reading through another gateway
 * until its cache expired). The tank's server hears it too: an open WebSocket of that user
 * takes the new level at once (before, it kept the level it was opened with: a revoked writer
 * could still pause the tank), and is closed when no level is left. The event is for gateways
 * and servers only: it is not streamed to users.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import type { NetworkEvent } from '../../src/realtime/index.ts';
import { openViewer } from '../server/viewer.ts';
import { useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let other: Gateway;

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  stack = await startGatewayStack({ cleanup, databaseUrl: db.url });
  other = await stack.addGateway('gateway-other');
}, 120_000);

/** Resolves with the next `permission_changed` for `tankId` that reaches `gateway`. */
function nextChange(gateway: Gateway, tankId: string): Promise<NetworkEvent> {
  return new Promise((resolve) => {
    const stop = gateway.ctx.hub.listen((event) => {
      if (event.type === 'permission_changed' && event.tank_id === tankId) {
        stop();
        resolve(event);
      }
    });
  });
}

describe('a grant or revoke on one gateway', () => {
  it('should hold on another gateway as soon as its event arrives', async () => {
    const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Shared', is_public: false },
    });
    const lookup = `/gateway/tanks/${tank.tank_id}`;
    // The other gateway caches "no grant" for bob (so no such tank, to him), then hears of the grant.
    await stack.json(lookup, 404, { user: 'bob', via: other });
    let heard = nextChange(other, tank.tank_id);
    await stack.json(`/api/tanks/${tank.tank_id}/permissions`, 200, {
      method: 'POST',
      user: 'alice',
      body: { user_id: 'bob', permission: 'read' },
    });
    expect(await heard).toMatchObject({ type: 'permission_changed', tank_id: tank.tank_id, user_id: 'bob' });
    await stack.json(lookup, 200, { user: 'bob', via: other });

    // It caches bob's read level; the revoke's event drops it.
    heard = nextChange(other, tank.tank_id);
    await stack.json(`/api/tanks/${tank.tank_id}/permissions/bob`, 200, { method: 'DELETE', user: 'alice' });
    await heard;
    const refused = await stack.call(lookup, { user: 'bob', via: other });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { code: string }).code).toBe('tank_not_found');
  });

  it("should change the level of the user's open WebSocket on the tank's server, and close it on revoke", async () => {
    const created = await stack.json<{ tank: { tank_id: string }; websocket_url: string }>(
      '/api/tanks',
      201,
      {
        method: 'POST',
        user: 'alice',
        body: { name: 'Watched', is_public: false },
      },
    );
    const tankId = created.tank.tank_id;
    const permissions = `/api/tanks/${tankId}/permissions`;
    const grant = async (permission: string) => {
      const heard = nextChange(other, tankId);
      await stack.json(permissions, 200, {
        method: 'POST',
        user: 'alice',
        body: { user_id: 'bob', permission },
      });
      await heard;
    };
    await grant('write');
    const bob = await mintToken({ secret: SECRET, userId: 'bob' });
    const viewer = openViewer(`${created.websocket_url}?format=json&token=${bob}`);
    cleanup.add(() => viewer.ws.terminate());
    expect(await viewer.nextText((m) => m.type === 'hello', 'hello')).toMatchObject({ level: 'write' });
    /** Sends a command and waits for its answer (the first ack or error after it). */
    const command = async (type: string) => {
      const seen = viewer.texts.length;
      viewer.send({ type });
      return waitFor(() => viewer.texts.slice(seen).find((m) => m.type === 'ack' || m.type === 'error'), {
        what: `the answer to ${type}`,
      });
    };
    expect(await command('pause')).toMatchObject({ type: 'ack', status: 'paused' });

    // Down to read: the socket stays, its writes are refused from now on.
    await grant('read');
    // (Probed with pause, which changes nothing on a paused tank while it is still allowed.)
    await waitFor(async () => (await command('pause')).code === 'forbidden', {
      what: "bob's WebSocket down to read",
    });
    expect(await command('resume')).toMatchObject({ type: 'error', code: 'forbidden' });
    const server = stack.servers.find((s) => s.server.host.get(tankId))!.server;
    expect(server.host.get(tankId)!.status).toBe('paused');

    // Revoked: the socket is closed as forbidden.
    const heard = nextChange(other, tankId);
    await stack.json(`${permissions}/bob`, 200, { method: 'DELETE', user: 'alice' });
    await heard;
    expect((await viewer.closed).code).toBe(4403);
  });

  it('should not stream permission_changed to users on /api/events', async () => {
    const { tank } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Quiet' },
    });
    const abort = new AbortController();
    cleanup.add(() => abort.abort());
    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const res = await fetch(`${other.url}/api/events?token=${token}`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += value;
      }
    };
    await readUntil(': connected');
    const heard = nextChange(other, tank.tank_id);
    await stack.json(`/api/tanks/${tank.tank_id}/permissions`, 200, {
      method: 'POST',
      user: 'alice',
      body: { user_id: 'carol', permission: 'write' },
    });
    await heard;
    // A later event alice may see marks where the stream has got to.
    const { tank: marker } = await stack.json<{ tank: { tank_id: string } }>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name: 'Marker' },
    });
    await readUntil(marker.tank_id);
    expect(text).not.toContain('permission_changed');
    abort.abort();
  });
});
