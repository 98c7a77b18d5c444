/**
 * @module
 * The mesh run for real: two `tankworld server` processes and the real `tankworld gateway`, each
 * behind its own Envoy sidecar started by `consul connect envoy -sidecar-for`, on a Consul agent
 * holding the project's config entries. Shown through Envoy's admin counters, not assumed: a
 * request for one server through the gateway's upstream lands on that server over mTLS; a stale
 * route that sends it elsewhere is refused 421 by the server it reached; no certificate, no
 * answer; an intention deny blocks and an allow restores; a service without an intention is
 * refused. (Placement around a dead sidecar and transfers through the gateway: gateway.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeMesh } from '../../src/mesh/index.ts';
import { useCleanup, waitFor } from '../support/index.ts';
import {
  probeWithoutCert,
  publicHandshakes,
  requestsToApp,
  startCaller,
  startTestMesh,
  viaUpstream,
} from './mesh-support.ts';

const cleanup = useCleanup();
let mesh: Awaited<ReturnType<typeof startTestMesh>>;
/** The real gateway's upstream port: its sidecar's local way to the tank servers. */
let gatewayUpstream: number;

async function intentions(sources: Array<{ Name: string; Action: 'allow' | 'deny' }>): Promise<void> {
  const res = await fetch(`${mesh.consul.url}/v1/config`, {
    method: 'PUT',
    body: JSON.stringify({ Kind: 'service-intentions', Name: 'tank-server', Sources: sources }),
  });
  expect((await res.text()).trim()).toBe('true');
}

async function serverIdVia(upstreamPort: number, serverId: string): Promise<string | number> {
  const res = await viaUpstream(upstreamPort, serverId);
  return res.ok ? ((await res.json()) as { server_id: string }).server_id : res.status;
}

beforeAll(async () => {
  mesh = await startTestMesh({ cleanup, serverIds: ['alpha', 'beta'] });
  gatewayUpstream = mesh.gateway.upstreamPort;
});

afterAll(async () => {
  await (mesh as NativeMesh | undefined)?.stop();
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
      for (let i = 0; i < 5; i++) expect(await serverIdVia(gatewayUpstream, target.id)).toBe(target.id);
      // All five reached the chosen server's app through its sidecar, none the other's.
      expect((await requestsToApp(target.sidecar)) - before.targetApp).toBe(5);
      expect((await requestsToApp(other.sidecar)) - before.otherApp).toBe(0);
      // And what came into the chosen sidecar came over TLS on its public listener.
      expect(await publicHandshakes(target.sidecar, target.sidecarPort)).toBeGreaterThan(0);
    }
    // Mutual TLS: the gateway's cluster for beta's subset did its own client handshake.
    const caller = await (await fetch(`${mesh.gateway.sidecar.adminUrl}/stats?filter=s-beta`)).text();
    expect(caller).toMatch(/cluster\.s-beta\.tank-server\.[^:]*\.ssl\.handshake: [1-9]/);
  });

  it('should have a server refuse 421 a request the mesh misroutes to it', async () => {
    // A header naming no listed server falls through to any instance, which is not that server.
    const stray = await viaUpstream(gatewayUpstream, 'gamma');
    expect(stray.status).toBe(421);
    expect(await stray.json()).toMatchObject({ code: 'misdirected_request', requested_server_id: 'gamma' });
    // A stale route (alpha's header sent to beta's subset) is refused by beta, not served.
    const router = mesh.entries.find((e) => e.Kind === 'service-router')!;
    const stale = {
      ...router,
      Routes: [
        {
          Match: { HTTP: { Header: [{ Name: 'x-tank-server', Exact: 'alpha' }] } },
          Destination: { ServiceSubset: 's-beta' },
        },
      ],
    };
    const write = async (entry: unknown) =>
      expect(
        (
          await (
            await fetch(`${mesh.consul.url}/v1/config`, { method: 'PUT', body: JSON.stringify(entry) })
          ).text()
        ).trim(),
      ).toBe('true');
    await write(stale);
    const body = await waitFor(
      async () => {
        const res = await viaUpstream(gatewayUpstream, 'alpha');
        return res.status === 421 ? ((await res.json()) as Record<string, unknown>) : undefined;
      },
      { what: 'the stale route reaching beta', timeout: 15_000, interval: 100 },
    );
    expect(body).toMatchObject({
      code: 'misdirected_request',
      server_id: 'beta',
      requested_server_id: 'alpha',
    });
    await write(router);
    await waitFor(async () => (await serverIdVia(gatewayUpstream, 'alpha')) === 'alpha', {
      what: 'alpha routed to alpha again',
      timeout: 15_000,
      interval: 100,
    });
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
    await waitFor(async () => (await serverIdVia(gatewayUpstream, 'alpha')) === 403, {
      what: 'RBAC 403 after the deny',
      timeout: 15_000,
      interval: 100,
    });
    console.info(`intention deny took effect after ${Math.round(performance.now() - deniedAt)} ms`);
    // Server → server stays allowed meanwhile.
    expect(await serverIdVia(mesh.servers[0]!.upstreamPort, 'beta')).toBe('beta');

    const entry = mesh.entries.find((e) => e.Kind === 'service-intentions' && e.Name === 'tank-server')!;
    await intentions(entry.Sources as Array<{ Name: string; Action: 'allow' | 'deny' }>);
    await waitFor(async () => (await serverIdVia(gatewayUpstream, 'alpha')) === 'alpha', {
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
});
