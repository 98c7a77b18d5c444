/**
 * @module
 * The mesh run for real: two `tankworld server` processes and the real `tankworld gateway`, each
 * behind its own Envoy sidecar started by `consul connect envoy -sidecar-for`, on a Consul agent
 * holding the project's config entries. Shown through Envoy's admin counters, not assumed: a
 * request for one server through the gateway's upstream lands on that server over mTLS; a stale
 * route that sends it elsewhere is refused 421 by the server it reached; no certificate, no
 * answer; an intention deny blocks and an allow restores; a service without an intention is
 * refused. Consul's own doors: ACLs default deny, so only the operator token writes config
 * entries and intentions; an app's token (its service identity) is refused those writes and an
 * anonymous read sees nothing, while the apps register, pass and route with their own tokens.
 * A server's internal routes (`/internal/*`, the 2PC steps) are served only on a loopback
 * listener its sidecar forwards to; its public port refuses them.
 * (Placement around a dead sidecar and transfers through the gateway: gateway.test.ts.)
 */
import { readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken, type NativeMesh } from '../../src/mesh/index.ts';
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
    headers: operator(),
    body: JSON.stringify({ Kind: 'service-intentions', Name: 'tank-server', Sources: sources }),
  });
  expect((await res.text()).trim()).toBe('true');
}

/** The operator token's header: ACLs are on, default deny. */
function operator(): Record<string, string> {
  return { 'x-consul-token': mesh.operatorToken! };
}

/** A Consul HTTP call as `token` (anonymous when `undefined`): status and parsed body. */
async function consulAs(
  token: string | undefined,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${mesh.consul.url}${path}`, {
    method: init.method ?? 'GET',
    headers: token ? { 'x-consul-token': token } : {},
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
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
      const res = await fetch(
        `${mesh.consul.url}/v1/config/${entry.Kind}/${encodeURIComponent(entry.Name)}`,
        {
          headers: operator(),
        },
      );
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
            await fetch(`${mesh.consul.url}/v1/config`, {
              method: 'PUT',
              headers: operator(),
              body: JSON.stringify(entry),
            })
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
    const token = await createServiceToken({
      consulUrl: mesh.consul.url,
      operatorToken: mesh.operatorToken!,
      serviceName: 'intruder',
    });
    const intruder = await startCaller({ name: 'intruder', consul: mesh.consul, token, cleanup });
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

describe('internal routes on a listener only the local sidecar reaches', () => {
  it("should refuse /internal/* on a server's public port and serve it through the mesh", async () => {
    const alpha = mesh.servers[0]!;
    expect(alpha.meshPort).toBeGreaterThan(0);
    expect(alpha.meshPort).not.toBe(alpha.port);
    // Public port: no such route (before any signature check), for every internal path.
    for (const [method, path] of [
      ['POST', '/internal/tanks'],
      ['POST', '/internal/transfers/steps'],
      ['GET', '/internal/transfers/reservations'],
    ] as const) {
      const res = await fetch(`${alpha.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'not_found' });
    }
    // Through the gateway's sidecar the same call reaches the route: refused only for want of
    // the internal signature.
    const viaMesh = await viaUpstream(gatewayUpstream, 'alpha', '/internal/transfers/reservations');
    expect(viaMesh.status).toBe(401);
    // The public port still serves clients: health and the REST API's auth.
    expect((await fetch(`${alpha.url}/health`)).status).toBe(200);
    expect((await fetch(`${alpha.url}/api/tanks`)).status).toBe(401);
  });

  it("should register the mesh listener as the sidecar's local service, on loopback", async () => {
    for (const server of mesh.servers) {
      const res = await fetch(`${mesh.consul.url}/v1/agent/service/${server.id}-sidecar-proxy`, {
        headers: operator(),
      });
      const body = (await res.json()) as { Proxy: { LocalServiceAddress: string; LocalServicePort: number } };
      expect(body.Proxy).toMatchObject({
        LocalServiceAddress: '127.0.0.1',
        LocalServicePort: server.meshPort,
      });
    }
    // What arrives over mTLS lands on that listener: a mesh call counts on the sidecar's
    // local_app cluster and reaches the route that the public port refuses.
    const beta = mesh.servers[1]!;
    const before = await requestsToApp(beta.sidecar);
    expect((await viaUpstream(gatewayUpstream, 'beta', '/internal/transfers/reservations')).status).toBe(401);
    expect((await requestsToApp(beta.sidecar)) - before).toBe(1);
    // Bound to 127.0.0.1 only: another address of this host is refused.
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (other) {
      const reached = await fetch(`http://${other}:${beta.meshPort}/health`, {
        signal: AbortSignal.timeout(2000),
      }).then(
        () => true,
        () => false,
      );
      expect(reached).toBe(false);
    }
  });
});

describe("consul's own doors: ACLs, default deny", () => {
  const denyAll = {
    Kind: 'service-intentions',
    Name: 'tank-server',
    Sources: [{ Name: '*', Action: 'deny' }],
  };

  it('should keep the operator token for the run in a file only its user can read', () => {
    expect(mesh.operatorToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(readFileSync(mesh.operatorTokenFile!, 'utf8')).toBe(`${mesh.operatorToken}\n`);
    expect(statSync(mesh.operatorTokenFile!).mode & 0o777).toBe(0o600);
  });

  it('should give each app a token of its own, which is not the operator token', async () => {
    const tokens = [...mesh.servers, mesh.gateway].map((app) => app.consulToken);
    expect(new Set(tokens).size).toBe(3);
    expect(tokens).not.toContain(mesh.operatorToken);
    for (const app of [...mesh.servers, mesh.gateway]) {
      const self = await consulAs(app.consulToken, '/v1/acl/token/self');
      expect(self.status).toBe(200);
      expect(self.body).toMatchObject({
        ServiceIdentities: [{ ServiceName: app.role === 'server' ? 'tank-server' : 'tank-gateway' }],
      });
      expect((self.body as { Policies?: unknown[] }).Policies ?? []).toEqual([]);
    }
  });

  it("should refuse an app's token writing intentions, shared or other services' config entries, or ACLs", async () => {
    const entry = (kind: string, name: string) =>
      mesh.entries.find((e) => e.Kind === kind && e.Name === name)!;
    const put = (token: string | undefined, body: unknown) =>
      consulAs(token, '/v1/config', { method: 'PUT', body }).then((r) => r.status);
    for (const app of [mesh.servers[0]!, mesh.gateway]) {
      const token = app.consulToken;
      // Intentions, in every form the API takes them (they need `intentions = write`).
      expect(await put(token, denyAll), app.id).toBe(403);
      expect(
        await put(token, { ...entry('service-intentions', '*'), Sources: [{ Name: '*', Action: 'allow' }] }),
        app.id,
      ).toBe(403);
      expect(
        (await consulAs(token, '/v1/config/service-intentions/tank-server', { method: 'DELETE' })).status,
      ).toBe(403);
      const legacy = await consulAs(
        token,
        '/v1/connect/intentions/exact?source=intruder&destination=tank-server',
        {
          method: 'PUT',
          body: { Action: 'allow' },
        },
      );
      expect(legacy.status, app.id).toBe(403);
      // The mesh-wide protocol (operator:write).
      expect(await put(token, { ...entry('proxy-defaults', 'global'), Config: { protocol: 'tcp' } })).toBe(
        403,
      );
      // ACLs: no token can mint itself more.
      const mint = await consulAs(token, '/v1/acl/token', {
        method: 'PUT',
        body: { ServiceIdentities: [{ ServiceName: 'tank-server' }] },
      });
      expect(mint.status, app.id).toBe(403);
    }
    // Another service's entries: the gateway cannot reroute the servers, a server cannot touch
    // the gateway's defaults. (A service's own router, resolver and defaults follow
    // `service:write` on it, which registering it needs: Consul gives no finer split.)
    expect(
      await put(mesh.gateway.consulToken, { ...entry('service-router', 'tank-server'), Routes: [] }),
    ).toBe(403);
    expect(
      await put(mesh.gateway.consulToken, { ...entry('service-resolver', 'tank-server'), Subsets: {} }),
    ).toBe(403);
    expect(
      await put(mesh.servers[0]!.consulToken, {
        ...entry('service-defaults', 'tank-gateway'),
        Protocol: 'tcp',
      }),
    ).toBe(403);
    // Nothing changed: every entry reads back as written, and the mesh routes as before.
    for (const written of mesh.entries) {
      const stored = await consulAs(
        mesh.operatorToken,
        `/v1/config/${written.Kind}/${encodeURIComponent(written.Name)}`,
      );
      expect(stored.body, `${written.Kind}/${written.Name}`).toMatchObject(written);
    }
    expect(await serverIdVia(gatewayUpstream, 'beta')).toBe('beta');
  });

  it('should show an anonymous caller nothing and let it write nothing', async () => {
    expect(await consulAs(undefined, '/v1/health/service/tank-server')).toEqual({ status: 200, body: [] });
    expect(await consulAs(undefined, '/v1/catalog/services')).toEqual({ status: 200, body: {} });
    expect(await consulAs(undefined, '/v1/catalog/nodes')).toEqual({ status: 200, body: [] });
    expect((await consulAs(undefined, '/v1/config/service-intentions/tank-server')).status).toBe(403);
    expect((await consulAs(undefined, '/v1/config', { method: 'PUT', body: denyAll })).status).toBe(403);
    const register = await consulAs(undefined, '/v1/agent/service/register', {
      method: 'PUT',
      body: { Name: 'tank-server', ID: 'squatter', Port: 1 },
    });
    expect(register.status).toBe(403);
    // The same reads with the operator token see the mesh: both servers passing.
    const health = await consulAs(mesh.operatorToken, '/v1/health/service/tank-server?passing=true');
    expect((health.body as Array<{ Service: { ID: string } }>).map((e) => e.Service.ID).sort()).toEqual([
      'alpha',
      'beta',
    ]);
  });

  it("should let the gateway's token read the servers' health, and a server's token not register the gateway", async () => {
    const viaGateway = await consulAs(
      mesh.gateway.consulToken,
      '/v1/health/service/tank-server?passing=true',
    );
    expect((viaGateway.body as unknown[]).length).toBe(2);
    const squat = await consulAs(mesh.servers[0]!.consulToken, '/v1/agent/service/register', {
      method: 'PUT',
      body: { Name: 'tank-gateway', ID: 'fake-gateway', Port: 1 },
    });
    expect(squat.status).toBe(403);
  });
});
