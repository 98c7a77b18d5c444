/**
 * @module
 * When the native mesh is ready for its users: each server routable through a sidecar's
 * upstream, the gateway seeing every server passing, and the passing set as Consul has it.
 */
import { MeshService, TANK_SERVER_HEADER } from './config-entries.ts';
import { waitFor } from './wait.ts';

/** Waits until a request through `upstreamPort` with each server's header lands on that server. */
export async function waitForRoutes(upstreamPort: number, serverIds: readonly string[]): Promise<void> {
  for (const id of serverIds) {
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${upstreamPort}/health`, {
          headers: { [TANK_SERVER_HEADER]: id },
          signal: AbortSignal.timeout(2000),
        });
        return res.ok && ((await res.json()) as { server_id?: string }).server_id === id;
      },
      { what: `a request for ${id} through the mesh landing on ${id}`, timeout: 30_000, interval: 100 },
    );
  }
}

/** Waits until the gateway's directory (its Consul watch) sees every server passing. */
export async function waitForGatewayView(gatewayUrl: string, servers: number): Promise<void> {
  await waitFor(
    async () => {
      const res = await fetch(`${gatewayUrl}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { servers?: { passing?: number } };
      return body.servers?.passing === servers;
    },
    { what: `the gateway seeing ${servers} passing tank servers`, timeout: 30_000, interval: 100 },
  );
}

/**
 * Ids of the tank servers whose every check passes (heartbeat, sidecar alias, node), read with
 * `token` (with ACLs on, an anonymous read sees none).
 *
 * @example
 * ```ts
 * await passingServerIds('http://127.0.0.1:8500', mesh.operatorToken); // ['server-1', 'server-2']
 * ```
 */
export async function passingServerIds(consulUrl: string, token?: string): Promise<string[]> {
  const res = await fetch(`${consulUrl}/v1/health/service/${MeshService.tankServer}?passing=true`, {
    headers: token ? { 'x-consul-token': token } : {},
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) return [];
  const entries = (await res.json()) as Array<{ Service: { ID: string } }>;
  return entries.map((e) => e.Service.ID).sort();
}
