// Consul reaps a service only after its check stayed critical for DeregisterCriticalServiceAfter
// (clamped to at least 1 minute) and its reaper runs every 30 s: this test takes 1.5–2 minutes of
// real time, so it has its own file and runs beside the others.
import { describe, expect, it } from 'vitest';
import { createConsulDiscovery } from '../../src/discovery/index.ts';
import { consulAddr, useCleanup, waitFor } from '../support/index.ts';
import { instance, load, registration, serverId } from './discovery.case.ts';

describe('Consul discovery, deregister after critical', () => {
  const cleanup = useCleanup();

  it('should be removed by the agent once critical for a minute, and come back on its next heartbeat', async () => {
    const id = serverId();
    const d = cleanup.add(
      createConsulDiscovery({ consulAddr: consulAddr(), ttl: '1s', deregisterCriticalAfter: '1m' }),
    );
    const agentServices = async () =>
      (await (await fetch(`http://${consulAddr()}/v1/agent/services`)).json()) as Record<string, unknown>;
    await d.register(registration(id));
    await d.passTtl(load());
    const began = performance.now();
    await waitFor(async () => !(await d.healthyServers()).some((s) => s.serverId === id), {
      what: 'the server to leave the healthy list',
      timeout: 10_000,
    });
    await waitFor(async () => !(id in (await agentServices())), {
      what: 'the agent to reap the critical server',
      timeout: 150_000,
      interval: 1000,
    });
    expect(performance.now() - began).toBeGreaterThanOrEqual(60_000);

    // The agent forgot it; the heartbeat sees the 404 and registers again.
    await d.passTtl(load());
    expect(id in (await agentServices())).toBe(true);
    const back = await waitFor(async () => (await d.healthyServers()).find((s) => s.serverId === id), {
      what: 'the server back in the healthy list',
      timeout: 10_000,
    });
    // The output of that heartbeat may reach the catalog later (check_update_interval): compare the rest.
    const { load: _load, lastOutput: _output, ...seen } = back;
    const { lastOutput: _none, ...expected } = instance(id);
    expect(seen).toEqual(expected);
  }, 180_000);
});
