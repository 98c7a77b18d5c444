/**
 * @module
 * The mesh as `tankworld mesh up` runs it with its observability: Prometheus scraping what the
 * gateway's HTTP service discovery lists from Consul (the gateway, both servers and each
 * sidecar's Envoy metrics listener), all up; a cross-server transfer counted in Prometheus.
 */
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { type NativeMesh, startNativeMesh } from '../../src/mesh/index.ts';
import { binaries, useCleanup, useDatabase, waitFor } from '../support/index.ts';
import { gatewayUser, MESH_SECRET, tanksOnTwoServers } from './mesh-support.ts';

const cleanup = useCleanup();

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
  it('should scrape the gateway, the servers and every sidecar, and count a transfer', async () => {
    const db = await useDatabase({ cleanup });
    const bins = binaries();
    const mesh: NativeMesh = await startNativeMesh({
      serverIds: ['obs-1', 'obs-2'],
      gateway: true,
      databaseUrl: db.url,
      jwtSecret: MESH_SECRET,
      internalSecret: MESH_SECRET,
      env: { LOG_LEVEL: 'warn', HEARTBEAT_MS: '1000', CHECK_TTL: '5s' },
      binaries: bins,
      observability: { prometheusBin: bins.prometheus },
    });
    cleanup.add(mesh);
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
    const moved = await user.transfer(a.tankId, b.tankId, fish!.id);
    expect(moved.status).toBe(200);
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
});
