/**
 * @module
 * The mesh as `tankworld mesh up` runs it with its observability: Prometheus scraping what the
 * gateway's HTTP service discovery lists from Consul (the gateway, both servers and each
 * sidecar's Envoy metrics listener), all up; a cross-server transfer counted in Prometheus.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { type NativeMesh, startNativeMesh } from '../../src/mesh/index.ts';
import { binaries, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { launchBrowser, screenshotPath } from '../web/browser.ts';
import { gatewayUser, MESH_SECRET, tanksOnTwoServers } from './mesh-support.ts';

const cleanup = useCleanup();
/** The trace of the transfer the first test makes; the second shows it in Zipkin's UI. */
const traceId = '5af7183fb1d4cf5f7e8c4d1a2b3c4d5e';

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

interface PromTarget {
  labels: Record<string, string>;
  health: string;
  scrapeUrl: string;
}

async function promQuery(
  url: string,
  query: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return body.data.result;
}

describe('observability in the mesh', () => {
  let mesh: NativeMesh;
  // Starting the mesh (Zipkin's JVM above all) can take a minute on a busy machine: a hook's time.
  beforeAll(async () => {
    const db = await useDatabase({ cleanup });
    const bins = binaries();
    mesh = await startNativeMesh({
      serverIds: ['obs-1', 'obs-2'],
      gateway: true,
      databaseUrl: db.url,
      jwtSecret: MESH_SECRET,
      internalSecret: MESH_SECRET,
      // Spans leave each app within 200 ms instead of the SDK's 5 s batches.
      env: { LOG_LEVEL: 'warn', HEARTBEAT_MS: '1000', CHECK_TTL: '5s', OTEL_BSP_SCHEDULE_DELAY: '200' },
      binaries: bins,
      observability: { prometheusBin: bins.prometheus, zipkinJar: bins.zipkinJar },
    });
    cleanup.add(mesh);
  });

  it('should scrape the gateway, the servers and every sidecar, and count a transfer traced end to end', async () => {
    const prometheus = mesh.prometheus!;
    const gateway = mesh.gateway!;

    // The discovery document itself: one group per metrics endpoint, Envoy's included.
    const groups = (await (await fetch(`${gateway.url}/internal/prometheus/targets`)).json()) as Array<{
      targets: string[];
      labels: Record<string, string>;
    }>;
    const byJob = (job: string) =>
      groups
        .filter((g) => g.labels.job === job)
        .map((g) => g.labels.service_id)
        .sort();
    expect(byJob('tank-server')).toEqual(['obs-1', 'obs-2']);
    expect(byJob('tank-gateway')).toEqual(['gateway-1']);
    expect(byJob('envoy')).toEqual(['gateway-1', 'obs-1', 'obs-2']);
    const envoyOf = (id: string) => mesh.servers.find((s) => s.id === id)?.metricsPort;
    expect(groups.find((g) => g.labels.job === 'envoy' && g.labels.service_id === 'obs-1')?.targets).toEqual([
      `127.0.0.1:${envoyOf('obs-1')}`,
    ]);

    // Prometheus took the list and every target answers.
    const targets = await waitFor(
      async () => {
        const res = await fetch(`${prometheus.url}/api/v1/targets?state=active`);
        const body = (await res.json()) as { data: { activeTargets: PromTarget[] } };
        const active = body.data.activeTargets;
        return active.length === 6 && active.every((t) => t.health === 'up') ? active : undefined;
      },
      { what: 'six targets up in Prometheus', timeout: 40_000, interval: 500 },
    );
    expect(new Set(targets.map((t) => t.labels.job))).toEqual(
      new Set(['tank-gateway', 'tank-server', 'envoy']),
    );

    const user = gatewayUser(gateway.url, await mintToken({ secret: MESH_SECRET, userId: 'alice' }));
    const [a, b] = await tanksOnTwoServers(user, 'obs');
    const [fish] = await user.fishOf(a.tankId);
    const moved = await user.call('/gateway/transfer', {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-a1b2c3d4e5f60718-01` },
      body: JSON.stringify({
        source_tank_id: a.tankId,
        dest_tank_id: b.tankId,
        entity_id: fish!.id,
        entity_type: 'fish',
      }),
    });
    expect(moved.status).toBe(200);
    const zipkin = mesh.zipkin!;
    // One trace: the gateway's span (child of the caller's), its calls, the gateway sidecar's
    // spans (Envoy's Zipkin tracer, joined by B3), and both servers' spans with their queries.
    const isProxy = (s: ZipkinSpan) => s.tags?.component === 'proxy';
    const ofServer = (id: string) => (s: ZipkinSpan) =>
      !isProxy(s) && s.localEndpoint?.serviceName === 'tank-server' && s.tags?.['service.instance.id'] === id;
    const spans = await waitFor(
      async () => {
        const res = await fetch(`${zipkin.url}/api/v2/trace/${traceId}`);
        if (!res.ok) return undefined;
        const found = (await res.json()) as ZipkinSpan[];
        const complete =
          found.some((s) => !isProxy(s) && s.name === 'post /gateway/transfer') &&
          found.some((s) => isProxy(s) && s.tags?.node_id === 'gateway-1-sidecar-proxy') &&
          found.some(ofServer('obs-1')) &&
          found.some(ofServer('obs-2')) &&
          // The servers' sidecars flush their spans every few seconds: wait for their parents.
          found
            .filter(
              (s) => s.localEndpoint?.serviceName === 'tank-server' && s.kind === 'SERVER' && !isProxy(s),
            )
            .every((s) => found.some((p) => p.id === s.parentId));
        return complete ? found : undefined;
      },
      {
        what: 'the transfer trace in Zipkin with the gateway, its sidecar and both servers',
        timeout: 30_000,
        interval: 500,
      },
    );
    const root = spans.find((s) => s.name === 'post /gateway/transfer')!;
    expect(root.localEndpoint?.serviceName).toBe('tank-gateway');
    expect(root.parentId).toBe('a1b2c3d4e5f60718');
    // The gateway's calls to the servers and its queries are CLIENT spans under it.
    const calls = spans.filter((s) => !isProxy(s) && s.tags?.['server.id'] !== undefined);
    expect(new Set(calls.map((s) => s.tags?.['server.id']))).toEqual(new Set(['obs-1', 'obs-2']));
    expect(
      spans.some(
        (s) => s.localEndpoint?.serviceName === 'tank-gateway' && s.tags?.['db.system'] === 'postgresql',
      ),
    ).toBe(true);
    // Each server's own spans hang under a sidecar span, not straight under the gateway.
    const byId = new Map(spans.map((s) => [s.id, s]));
    for (const id of ['obs-1', 'obs-2']) {
      const steps = spans.filter((s) => ofServer(id)(s) && s.kind === 'SERVER');
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) expect(isProxy(byId.get(step.parentId!) ?? ({} as ZipkinSpan))).toBe(true);
      expect(spans.some((s) => ofServer(id)(s) && s.tags?.['db.system'] === 'postgresql')).toBe(true);
    }
    const counted = await waitFor(
      async () => {
        const result = await promQuery(prometheus.url, 'sum(tankworld_transfers_total{outcome="committed"})');
        return result[0]?.value[1] === '1' ? result : undefined;
      },
      { what: 'the transfer counted in Prometheus', timeout: 30_000, interval: 500 },
    );
    expect(counted).toHaveLength(1);
    // Envoy's own series come through its listener (requests the gateway's sidecar sent upstream).
    const envoySeries = await promQuery(prometheus.url, 'count(envoy_server_live{job="envoy"})');
    expect(envoySeries[0]?.value[1]).toBe('3');
  });

  // After the first test: its transfer's trace is what the Zipkin page shows.
  it("should show the transfer's trace in Zipkin's UI and every target up on Prometheus's targets page", async () => {
    const zipkin = mesh.zipkin!;
    const prometheus = mesh.prometheus!;
    const browser = await launchBrowser(cleanup);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${zipkin.url}/zipkin/traces/${traceId}`);
    await page.waitForSelector('text=tank-server', { timeout: 20_000 });
    expect(await page.textContent('body')).toContain('tank-gateway');
    await page.screenshot({ path: screenshotPath('zipkin-trace.png') });
    // Debian ships the classic UI only (the React one is not packaged).
    await page.goto(`${prometheus.url}/classic/targets`);
    await page.waitForSelector('text=envoy', { timeout: 20_000 });
    const targetsPage = (await page.textContent('body')) ?? '';
    const shown = targetsPage.replace(/\s+/g, ' ');
    // One scrape pool (the discovery job), each target with the job label discovery gave it.
    expect(shown).toContain('tankworld (6/6 up)');
    for (const [job, n] of [
      ['tank-gateway', 1],
      ['tank-server', 2],
      ['envoy', 3],
    ] as const)
      expect(shown.match(new RegExp(`up instance="[^"]+" job="${job}"`, 'g'))).toHaveLength(n);
    await page.screenshot({ path: screenshotPath('prometheus-targets.png'), fullPage: true });
  });
});
