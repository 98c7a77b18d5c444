/**
 * @module
 * The mesh run for real: two `tankworld server` processes, each behind its own Envoy sidecar
 * started by `consul connect envoy -sidecar-for`, on a Consul agent holding the project's
 * config entries. Shown through Envoy's admin counters, not assumed: a request for one server
 * lands on that server over mTLS; no certificate, no answer; an intention deny blocks and an
 * allow restores; a service without an intention is refused; a dead sidecar makes its server
 * critical, and its tanks are still there when it comes back; a cross-server 2PC transfer runs
 * with every participant call through the sidecars.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { createServerClient } from '../../src/gateway/server-client.ts';
import { createCoordinator, createParticipants } from '../../src/gateway/transfers/index.ts';
import {
  type NativeMesh,
  passingServerIds,
  startNativeMesh,
  TANK_SERVER_HEADER,
} from '../../src/mesh/index.ts';
import { createRealtime } from '../../src/realtime/index.ts';
import { createStore } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { binaries, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import {
  type Caller,
  probeWithoutCert,
  publicHandshakes,
  requestsToApp,
  startCaller,
  viaUpstream,
} from './mesh-support.ts';

const cleanup = useCleanup();
const SECRET = 'mesh-test-secret-0123456789abcdef';
let mesh: NativeMesh;
let gatewaySide: Caller;

async function intentions(sources: Array<{ Name: string; Action: 'allow' | 'deny' }>): Promise<void> {
  const res = await fetch(`${mesh.consul.url}/v1/config`, {
    method: 'PUT',
    body: JSON.stringify({ Kind: 'service-intentions', Name: 'tank-server', Sources: sources }),
  });
  expect(await res.text()).toBe('true');
}

async function serverIdVia(upstreamPort: number, serverId: string): Promise<string | number> {
  const res = await viaUpstream(upstreamPort, serverId);
  return res.ok ? ((await res.json()) as { server_id: string }).server_id : res.status;
}

beforeAll(async () => {
  const db = await useDatabase({ cleanup });
  const bins = binaries();
  mesh = await startNativeMesh({
    serverIds: ['alpha', 'beta'],
    databaseUrl: db.url,
    jwtSecret: SECRET,
    internalSecret: SECRET,
    env: { LOG_LEVEL: 'warn', HEARTBEAT_MS: '1000', CHECK_TTL: '5s' },
    binaries: {
      consul: bins.consul,
      envoy: bins.envoy,
      redisServer: bins.redisServer,
      postgresBinDir: bins.postgresBinDir,
    },
  });
  cleanup.add(mesh);
  // The gateway's identity in the mesh: service tank-gateway with a tank-server upstream.
  gatewaySide = await startCaller({ name: 'tank-gateway', consul: mesh.consul, cleanup });
  await waitFor(async () => (await serverIdVia(gatewaySide.upstreamPort, 'beta')) === 'beta', {
    what: 'the gateway-side sidecar routing to beta',
    timeout: 30_000,
    interval: 100,
  });
});

afterAll(async () => {
  await mesh?.stop();
});

describe('the mesh with real Envoy sidecars', () => {
  it('should have every config entry accepted and stored by the agent', async () => {
    for (const entry of mesh.entries) {
      const res = await fetch(`${mesh.consul.url}/v1/config/${entry.Kind}/${encodeURIComponent(entry.Name)}`);
      expect(res.status, `${entry.Kind}/${entry.Name}`).toBe(200);
      // The agent adds its own fields (Precedence, indexes); everything we wrote is kept as written.
      expect(await res.json(), `${entry.Kind}/${entry.Name}`).toMatchObject(entry);
    }
  });

  it('should land a request meant for one server on that server, over mTLS through both sidecars', async () => {
    const [alpha, beta] = mesh.servers;
    for (const [target, other] of [
      [beta!, alpha!],
      [alpha!, beta!],
    ] as const) {
      const before = {
        targetApp: await requestsToApp(target.sidecar),
        otherApp: await requestsToApp(other.sidecar),
      };
      for (let i = 0; i < 5; i++)
        expect(await serverIdVia(gatewaySide.upstreamPort, target.id)).toBe(target.id);
      // All five reached the chosen server's app through its sidecar, none the other's.
      expect((await requestsToApp(target.sidecar)) - before.targetApp).toBe(5);
      expect((await requestsToApp(other.sidecar)) - before.otherApp).toBe(0);
      // And what came into the chosen sidecar came over TLS on its public listener.
      expect(await publicHandshakes(target.sidecar, target.sidecarPort)).toBeGreaterThan(0);
    }
    // Mutual TLS: the gateway side's cluster for beta's subset did its own client handshake.
    const caller = await (await fetch(`${gatewaySide.sidecar.adminUrl}/stats?filter=s-beta`)).text();
    expect(caller).toMatch(/cluster\.s-beta\.tank-server\.[^:]*\.ssl\.handshake: [1-9]/);
  });

  it('should refuse a connection to a server sidecar that brings no Connect certificate', async () => {
    const alpha = mesh.servers[0]!;
    expect(await probeWithoutCert(alpha.sidecarPort, 'plain')).toBe('refused');
    expect(await probeWithoutCert(alpha.sidecarPort, 'tls')).toBe('refused');
    // The same server answers on its own port, so it is the sidecar that refused.
    expect((await fetch(`${alpha.url}/health`)).ok).toBe(true);
  });

  it('should block gateway → server within seconds of a deny intention, and restore it on allow', async () => {
    await intentions([
      { Name: 'tank-gateway', Action: 'deny' },
      { Name: 'tank-server', Action: 'allow' },
    ]);
    const deniedAt = performance.now();
    await waitFor(async () => (await serverIdVia(gatewaySide.upstreamPort, 'alpha')) === 403, {
      what: 'RBAC 403 after the deny',
      timeout: 15_000,
      interval: 100,
    });
    console.info(`intention deny took effect after ${Math.round(performance.now() - deniedAt)} ms`);
    // Server → server stays allowed meanwhile.
    expect(await serverIdVia(mesh.servers[0]!.upstreamPort, 'beta')).toBe('beta');

    const entry = mesh.entries.find((e) => e.Kind === 'service-intentions' && e.Name === 'tank-server')!;
    await intentions(entry.Sources as Array<{ Name: string; Action: 'allow' | 'deny' }>);
    await waitFor(async () => (await serverIdVia(gatewaySide.upstreamPort, 'alpha')) === 'alpha', {
      what: 'gateway → alpha restored after the allow',
      timeout: 15_000,
      interval: 100,
    });
  });

  it('should refuse a service that no intention allows', async () => {
    const intruder = await startCaller({ name: 'intruder', consul: mesh.consul, cleanup });
    // 503 only means its Envoy has no endpoints yet; once it has, the server side says no.
    const status = await waitFor(
      async () => {
        const res = await viaUpstream(intruder.upstreamPort, 'alpha');
        await res.body?.cancel();
        return res.status === 503 ? undefined : res.status;
      },
      { what: 'an answer other than "no healthy upstream"', timeout: 30_000, interval: 100 },
    );
    expect(status).toBe(403);
    expect((await viaUpstream(intruder.upstreamPort, 'beta')).status).toBe(403);
    await intruder.sidecar.stop();
  });

  it('should mark a server critical while its sidecar is down, and bring it back with its tanks', async () => {
    const beta = mesh.servers[1]!;
    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${beta.url}/api/tanks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'kept' }),
    });
    expect(created.status).toBe(201);
    const tankId = ((await created.json()) as { tank: { tank_id: string } }).tank.tank_id;

    await beta.sidecar.kill();
    await waitFor(async () => (await passingServerIds(mesh.consul.url)).join() === 'alpha', {
      what: 'beta out of the passing set',
      timeout: 20_000,
      interval: 100,
    });
    const health = (await (await fetch(`${mesh.consul.url}/v1/health/service/tank-server`)).json()) as Array<{
      Service: { ID: string };
      Checks: Array<{ CheckID: string; Status: string }>;
    }>;
    const betaChecks = Object.fromEntries(
      health.find((e) => e.Service.ID === 'beta')!.Checks.map((c) => [c.CheckID, c.Status]),
    );
    // The heartbeat still passes: it is the sidecar, mirrored by the alias check, that failed.
    expect(betaChecks).toMatchObject({ 'service:beta:ttl': 'passing', 'service:beta:sidecar': 'critical' });
    expect(await serverIdVia(gatewaySide.upstreamPort, 'beta')).toBe(503);

    await beta.sidecar.restart();
    await waitFor(async () => (await passingServerIds(mesh.consul.url)).join() === 'alpha,beta', {
      what: 'beta passing again',
      timeout: 20_000,
      interval: 100,
    });
    await waitFor(async () => (await serverIdVia(gatewaySide.upstreamPort, 'beta')) === 'beta', {
      what: 'beta reachable through the mesh again',
      timeout: 20_000,
      interval: 100,
    });
    const tank = await viaUpstream(gatewaySide.upstreamPort, 'beta', `/api/tanks/${tankId}`, {
      headers: auth,
    });
    expect(tank.status).toBe(200);
    expect(JSON.stringify(await tank.json())).toContain(tankId);
  });
  it('should run a cross-server transfer with every participant call through the sidecars', async () => {
    const [alpha, beta] = mesh.servers;
    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const tankOn = async (server: typeof alpha, name: string) => {
      const res = await fetch(`${server!.url}/api/tanks`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name, initial_fish: 6 }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { tank: { tank_id: string } }).tank.tank_id;
    };
    const fishOf = async (server: typeof alpha, tankId: string) => {
      const res = await fetch(`${server!.url}/api/tanks/${tankId}/entities?kind=fish`, { headers: auth });
      return ((await res.json()) as { entities: Array<{ id: number; uid: string }> }).entities;
    };
    const source = await tankOn(alpha, 'from');
    const dest = await tankOn(beta, 'to');
    const [fish] = await fishOf(alpha, source);

    // The coordinator (the gateway's part) reaches each participant only through the
    // gateway-side sidecar, addressed by header: the mesh decides where each step lands.
    const logger = createLogger({ level: 'silent' });
    const store = createStore({ databaseUrl: mesh.databaseUrl, logger });
    cleanup.add(store);
    const realtime = await createRealtime({});
    cleanup.add(realtime);
    const client = createServerClient({
      secret: SECRET,
      resolveServer: (id) => ({
        baseUrl: `http://127.0.0.1:${gatewaySide.upstreamPort}`,
        headers: { [TANK_SERVER_HEADER]: id },
      }),
    });
    const coordinator = createCoordinator({
      db: store.db,
      participants: createParticipants({ client }),
      realtime,
      logger,
      crash: () => {},
    });
    const before = { alpha: await requestsToApp(alpha!.sidecar), beta: await requestsToApp(beta!.sidecar) };
    const answer = await coordinator.submit({
      request: { source_tank_id: source, dest_tank_id: dest, entity_id: fish!.id, entity_type: 'fish' },
      key: undefined,
      sourceServer: alpha!.id,
      destServer: beta!.id,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    // Prepare and commit on each side, each one a request through that server's sidecar.
    expect((await requestsToApp(alpha!.sidecar)) - before.alpha).toBeGreaterThanOrEqual(2);
    expect((await requestsToApp(beta!.sidecar)) - before.beta).toBeGreaterThanOrEqual(2);
    // The fish lives in exactly one tank: gone from the source, once in the destination.
    expect((await fishOf(alpha, source)).filter((f) => f.uid === fish!.uid)).toHaveLength(0);
    expect((await fishOf(beta, dest)).filter((f) => f.uid === fish!.uid)).toHaveLength(1);
  });
});
