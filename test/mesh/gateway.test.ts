/**
 * @module
 * The real gateway (`tankworld gateway`, started by the native mesh with its own Envoy) in front
 * of two tank servers, each behind its sidecar. Shown through Envoy's admin counters: a proxied
 * call for a tank on one server goes into that server's subset on the gateway's sidecar, over a
 * TLS handshake on that server's public listener, and reaches only that server's app. A dead
 * server sidecar makes the server critical in Consul and the gateway places no tank on it; once
 * the sidecar is back, so are its placements, and every tank is still there. A cross-server
 * transfer through `POST /gateway/transfer` runs every 2PC step over the sidecars, and so does a
 * tube's: the source server coordinates it through its own sidecar (the public ports refuse
 * `/internal/*` in the mesh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NativeMesh, passingServerIds } from '../../src/mesh/index.ts';
import { useCleanup, waitFor } from '../support/index.ts';
import {
  type GatewayUser,
  meshUser,
  publicHandshakes,
  requestsToApp,
  requestsToSubset,
  startTestMesh,
  tanksOnTwoServers,
  viaUpstream,
} from './mesh-support.ts';

const cleanup = useCleanup();
let mesh: Awaited<ReturnType<typeof startTestMesh>>;
let user: GatewayUser;

const server = (id: string) => mesh.servers.find((s) => s.id === id)!;

async function serverIdVia(upstreamPort: number, serverId: string): Promise<string | number> {
  const res = await viaUpstream(upstreamPort, serverId);
  return res.ok ? ((await res.json()) as { server_id: string }).server_id : res.status;
}

/** The gateway's own view of the servers (its Consul watch), from its `/health`. */
async function gatewaySees(): Promise<{ passing: number; critical: number }> {
  const res = await fetch(`${mesh.gateway.url}/health`);
  return ((await res.json()) as { servers: { passing: number; critical: number } }).servers;
}

beforeAll(async () => {
  mesh = await startTestMesh({ cleanup, serverIds: ['alpha', 'beta'] });
  user = await meshUser(mesh);
});

afterAll(async () => {
  await (mesh as NativeMesh | undefined)?.stop();
});

describe('the real gateway over the mesh', () => {
  it('should reach the server that owns a tank through its own sidecar, over mTLS, and no other', async () => {
    const [one, two] = await tanksOnTwoServers(user, 'route');
    for (const [tank, otherId] of [
      [one, two.serverId],
      [two, one.serverId],
    ] as const) {
      const target = server(tank.serverId);
      const other = server(otherId);
      const before = {
        subset: await requestsToSubset(mesh.gateway.sidecar.adminUrl, target.id),
        otherSubset: await requestsToSubset(mesh.gateway.sidecar.adminUrl, other.id),
        targetApp: await requestsToApp(target.sidecar),
        otherApp: await requestsToApp(other.sidecar),
      };
      for (let i = 0; i < 3; i++) {
        const res = await user.call(`/api/tanks/${tank.tankId}/stats`);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-tank-server')).toBe(target.id);
      }
      // Out of the gateway's sidecar into the target's subset, into the target's app: 3 each.
      expect((await requestsToSubset(mesh.gateway.sidecar.adminUrl, target.id)) - before.subset).toBe(3);
      expect((await requestsToApp(target.sidecar)) - before.targetApp).toBe(3);
      expect((await requestsToSubset(mesh.gateway.sidecar.adminUrl, other.id)) - before.otherSubset).toBe(0);
      expect((await requestsToApp(other.sidecar)) - before.otherApp).toBe(0);
      expect(await publicHandshakes(target.sidecar, target.sidecarPort)).toBeGreaterThan(0);
    }
    // Mutual TLS: the gateway's sidecar made a client handshake into each server's subset.
    const stats = await (await fetch(`${mesh.gateway.sidecar.adminUrl}/stats?filter=ssl.handshake`)).text();
    expect(stats).toMatch(/cluster\.s-alpha\.tank-server\.[^:]*\.ssl\.handshake: [1-9]/);
    expect(stats).toMatch(/cluster\.s-beta\.tank-server\.[^:]*\.ssl\.handshake: [1-9]/);
  });

  it('should place no tank on a server whose sidecar is dead, place on it again once back, and lose none', async () => {
    const beta = server('beta');
    const [first, second] = await tanksOnTwoServers(user, 'kept');
    const kept = [first, second];
    const onBeta = kept.find((t) => t.serverId === 'beta')!;

    await beta.sidecar.kill();
    await waitFor(
      async () => (await passingServerIds(mesh.consul.url, mesh.operatorToken)).join() === 'alpha',
      {
        what: 'beta out of the passing set in consul',
        timeout: 20_000,
        interval: 100,
      },
    );
    await waitFor(async () => (await gatewaySees()).critical === 1, {
      what: "beta critical in the gateway's directory",
      timeout: 20_000,
      interval: 100,
    });
    // Its tanks are unavailable (not lost, not misreported as missing) while it is cut off.
    const cutOff = await user.call(`/api/tanks/${onBeta.tankId}/stats`);
    expect(cutOff.status).toBe(503);
    expect(await cutOff.json()).toMatchObject({ code: 'tank_unavailable', server_id: 'beta' });
    const whileDown = [];
    for (let i = 0; i < 5; i++) whileDown.push(await user.createTank(`down-${i}`));
    expect(whileDown.map((t) => t.serverId)).toEqual(['alpha', 'alpha', 'alpha', 'alpha', 'alpha']);
    kept.push(...whileDown);

    await beta.sidecar.restart();
    await waitFor(
      async () => (await passingServerIds(mesh.consul.url, mesh.operatorToken)).join() === 'alpha,beta',
      {
        what: 'beta passing again in consul',
        timeout: 20_000,
        interval: 100,
      },
    );
    await waitFor(async () => (await gatewaySees()).passing === 2, {
      what: "beta passing again in the gateway's directory",
      timeout: 20_000,
      interval: 100,
    });
    // Passing in Consul comes before the gateway's Envoy has beta's new endpoint; meanwhile a
    // create placed on beta fails over to alpha. Back means reachable through the gateway's sidecar.
    const passingAt = performance.now();
    await waitFor(async () => (await serverIdVia(mesh.gateway.upstreamPort, 'beta')) === 'beta', {
      what: "beta reachable through the gateway's sidecar",
      timeout: 20_000,
      interval: 100,
    });
    console.info(
      `beta routable from the gateway ${Math.round(performance.now() - passingAt)} ms after passing`,
    );
    // alpha now holds more tanks, so placement turns to beta (load in CPU bands may delay it).
    let back: { tankId: string; serverId: string } | undefined;
    for (let i = 0; i < 8 && back?.serverId !== 'beta'; i++) {
      back = await user.createTank(`back-${i}`);
      kept.push(back);
    }
    expect(back!.serverId).toBe('beta');

    // No tank lost: every one answers through the gateway, with its fish.
    for (const tank of kept) {
      const res = await user.call(`/api/tanks/${tank.tankId}/stats`);
      expect(res.status, tank.tankId).toBe(200);
      expect(((await res.json()) as { fish_count: number }).fish_count).toBeGreaterThan(0);
    }
  });

  it('should move a fish between tanks on two servers through POST /gateway/transfer, over the sidecars', async () => {
    const [from, to] = await tanksOnTwoServers(user, 'transfer');
    const [fish] = await user.fishOf(from.tankId);
    const admin = mesh.gateway.sidecar.adminUrl;
    const before = {
      from: await requestsToSubset(admin, from.serverId),
      to: await requestsToSubset(admin, to.serverId),
      fromApp: await requestsToApp(server(from.serverId).sidecar),
      toApp: await requestsToApp(server(to.serverId).sidecar),
    };
    const res = await user.transfer(from.tankId, to.tankId, fish!.id);
    const body = (await res.json()) as { success: boolean; source_server: string; dest_server: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ success: true, source_server: from.serverId, dest_server: to.serverId });
    // Prepare and commit on each side: each a request out of the gateway's sidecar into that
    // server's subset, and into that server's app through its own sidecar.
    expect((await requestsToSubset(admin, from.serverId)) - before.from).toBeGreaterThanOrEqual(2);
    expect((await requestsToSubset(admin, to.serverId)) - before.to).toBeGreaterThanOrEqual(2);
    expect((await requestsToApp(server(from.serverId).sidecar)) - before.fromApp).toBeGreaterThanOrEqual(2);
    expect((await requestsToApp(server(to.serverId).sidecar)) - before.toApp).toBeGreaterThanOrEqual(2);
    // The fish lives in exactly one tank: gone from the source, once in the destination.
    expect((await user.fishOf(from.tankId)).filter((f) => f.uid === fish!.uid)).toHaveLength(0);
    expect((await user.fishOf(to.tankId)).filter((f) => f.uid === fish!.uid)).toHaveLength(1);
  });

  it('should carry fish through a tube to a tank on another server, through the source server’s sidecar', async () => {
    const [from, to] = await tanksOnTwoServers(user, 'tube');
    const source = server(from.serverId);
    const made = await user.call(`/api/tanks/${from.tankId}/connections`, {
      method: 'POST',
      body: JSON.stringify({ to_tank_id: to.tankId, mouth: 'left', rate_per_minute: 600 }),
    });
    expect(made.status, await made.clone().text()).toBe(201);
    const before = await requestsToSubset(source.sidecar.adminUrl, to.serverId);
    // Fish that want to go, right in the left mouth.
    const wanderers = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await user.call(`/api/tanks/${from.tankId}/fish`, {
        method: 'POST',
        body: JSON.stringify({ genome: { wanderlust: 1 }, x: 30, y: 250 + i * 5 }),
      });
      expect(res.status).toBe(201);
      wanderers.add(((await res.json()) as { uid: string }).uid);
    }
    const arrived = async () => (await user.fishOf(to.tankId)).filter((f) => wanderers.has(f.uid));
    await waitFor(async () => (await arrived()).length >= 2, {
      what: 'fish through the tube to the other server',
      timeout: 30_000,
      interval: 200,
    });
    // The steps left the source server through its own sidecar into the destination's subset.
    expect(await requestsToSubset(source.sidecar.adminUrl, to.serverId)).toBeGreaterThan(before);
    // Paused, the source sends no more; once the moves under way land, each wanderer lives in
    // exactly one tank (none in both, none in neither).
    expect((await user.call(`/api/tanks/${from.tankId}/pause`, { method: 'POST' })).status).toBe(200);
    const places = async () => {
      const left = new Set((await user.fishOf(from.tankId)).map((f) => f.uid));
      const there = new Set((await user.fishOf(to.tankId)).map((f) => f.uid));
      return [...wanderers].map((uid) => Number(left.has(uid)) + Number(there.has(uid)));
    };
    await waitFor(async () => (await places()).every((n) => n === 1), {
      what: 'every wanderer in exactly one tank',
      timeout: 15_000,
      interval: 200,
    });
  });
});
