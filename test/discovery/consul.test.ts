import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createConsulDiscovery,
  DiscoveryUnavailableError,
  type WatchRound,
} from '../../src/discovery/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { consulAddr, startConsul, useCleanup, waitFor } from '../support/index.ts';
import { discoveryContract, instance, load, registration, serverId, watchLog } from './discovery.case.ts';

/** A pino logger whose records land in `lines`, parsed. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (s: string) => lines.push(JSON.parse(s)) },
  });
  return { logger, lines, messages: (msg: string) => lines.filter((l) => l.msg === msg) };
}

describe('Consul discovery', () => {
  discoveryContract(() => ({
    make: ({ ttl } = {}) =>
      createConsulDiscovery({ consulAddr: consulAddr(), ...(ttl ? { ttl } : {}), watchWaitMs: 10_000 }),
    // Consul's own timers run on real time, which passes while the contract polls.
    lapse: async () => {},
    patienceMs: 15_000,
  }));

  describe('on the shared agent', () => {
    const cleanup = useCleanup();
    const make = (options: Parameters<typeof createConsulDiscovery>[0] = {}) =>
      cleanup.add(createConsulDiscovery({ consulAddr: consulAddr(), ...options }));
    const agent = (path: string) => fetch(`http://${consulAddr()}${path}`).then((r) => r.json());

    it('should register what an operator needs to read in the Consul UI', async () => {
      const id = serverId();
      const d = make({ ttl: '30s', deregisterCriticalAfter: '1m' });
      await d.register(registration(id));
      await d.passTtl(load());
      const services = (await agent('/v1/agent/services')) as Record<string, unknown>;
      expect(services[id]).toMatchObject({
        ID: id,
        Service: 'tank-server',
        Address: '127.0.0.1',
        Port: 18_001,
        Tags: ['eu-west', 'eu-west-1a', 'v2.0.0'],
        Meta: {
          server_id: id,
          region: 'eu-west',
          zone: 'eu-west-1a',
          version: '2.0.0',
          public_url: 'http://127.0.0.1:18001',
          ws_url: 'ws://127.0.0.1:18001/ws',
          capabilities: 'poker,transfer',
          started_at: '2026-11-25T06:00:00.000Z',
        },
      });
      // The agent's own view has the heartbeat's output at once (the catalog may lag it).
      const checks = (await agent('/v1/agent/checks')) as Record<string, unknown>;
      expect(checks[`service:${id}:ttl`]).toMatchObject({
        CheckID: `service:${id}:ttl`,
        Name: 'Tank server heartbeat',
        Notes: 'TTL 30s, passed with the load as output; deregistered 1m after going critical',
        Status: 'passing',
        Output: 'tanks=14 cpu=22% mem=180MB viewers=240 behind=0',
        ServiceID: id,
        Type: 'ttl',
      });
    });

    it('should register the gateway as tank-gateway with a gateway heartbeat', async () => {
      const id = serverId();
      const d = make();
      await d.register(registration(id, { service: 'tank-gateway' }));
      const checks = (await agent('/v1/agent/checks')) as Record<
        string,
        { Name: string; ServiceName: string }
      >;
      expect(checks[`service:${id}:ttl`]).toMatchObject({
        Name: 'Gateway heartbeat',
        ServiceName: 'tank-gateway',
      });
    });

    it('should take the agent address with a scheme, and an ACL token', async () => {
      const id = serverId();
      // A dev agent runs without ACLs and ignores the token; this shows it is accepted and sent.
      const d = make({ consulAddr: `http://${consulAddr()}`, token: 'not-checked-without-acls' });
      await d.register(registration(id));
      const listed = await waitFor(async () => (await d.healthyServers()).find((s) => s.serverId === id), {
        what: 'listed',
        timeout: 5000,
      });
      expect(listed).toEqual(instance(id));
    });

    it('should see a new server within one blocking round, well before the wait ends', async () => {
      const id = serverId();
      const watcher = make({ watchWaitMs: 60_000 });
      const log = watchLog([id]);
      const handle = await watcher.watch(log.onChange);
      await waitFor(() => log.calls.length > 0, { what: 'the first view', timeout: 5000 });
      const began = performance.now();
      await make().register(registration(id));
      await waitFor(() => log.latest().length === 1, { what: 'the server in the watch', timeout: 10_000 });
      expect(performance.now() - began).toBeLessThan(5000);
      expect(log.latest()).toEqual([instance(id)]);
      handle.stop();
    });

    it('should tell each watch round its size, and whether the view changed, before the callback', async () => {
      const rounds: WatchRound[] = [];
      const told: Array<{ servers: number; roundEntries: number | undefined }> = [];
      const watcher = make({ watchWaitMs: 10_000, onWatchRound: (round) => rounds.push(round) });
      const handle = await watcher.watch((servers) =>
        told.push({ servers: servers.length, roundEntries: rounds.at(-1)?.entries }),
      );
      const d = make({ ttl: '30s' });
      await d.register(registration(serverId()));
      await waitFor(() => rounds.some((r) => r.changed) && told.length > 0, {
        what: 'a changed round',
        timeout: 10_000,
      });
      // Only the load changes: the round comes, the callback does not.
      let beat = 0;
      await waitFor(
        async () => {
          await d.passTtl(load({ cpu_percent: ++beat }));
          return rounds.some((r) => !r.changed);
        },
        { what: 'a round with only load changes', timeout: 10_000, interval: 200 },
      );
      handle.stop();
      expect(told.length).toBe(rounds.filter((r) => r.changed).length);
      for (const t of told) expect(t.servers).toBe(t.roundEntries);
      for (const r of rounds) expect(r.decodeMs).toBeGreaterThanOrEqual(0);
    });

    it('should warn once when the agent holds check output back from the catalog', async () => {
      const { logger, messages } = capturingLogger();
      const d = make({ logger });
      await d.register(registration(serverId()));
      await d.register(registration(serverId()));
      const self = (await agent('/v1/agent/self')) as { DebugConfig: { CheckUpdateInterval: string } };
      const delayed = self.DebugConfig.CheckUpdateInterval !== '0s';
      const hint =
        'consul agent delays check output (the load) in the catalog; set check_update_interval = "0s"';
      expect(messages(hint)).toHaveLength(delayed ? 1 : 0);
    });
  });

  describe('when the agent does not answer', () => {
    const cleanup = useCleanup();
    let silent: Server;
    let addr: string;
    const sockets = new Set<Socket>();

    beforeAll(async () => {
      // Accepts connections and never answers: the calls must give up on their own.
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      addr = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('should reject each call with DiscoveryUnavailableError after the request timeout', async () => {
      const d = cleanup.add(createConsulDiscovery({ consulAddr: addr, requestTimeoutMs: 300 }));
      const began = performance.now();
      await expect(d.healthyServers()).rejects.toBeInstanceOf(DiscoveryUnavailableError);
      await expect(d.register(registration(serverId()))).rejects.toMatchObject({
        code: 'discovery_unavailable',
        status: 503,
      });
      await expect(d.passTtl(load())).rejects.toBeInstanceOf(DiscoveryUnavailableError);
      expect(performance.now() - began).toBeLessThan(3000);
      expect(await d.lastKnown()).toEqual({ servers: [], at: null, stale: true });
    });
  });

  describe('when the agent is killed and restarted', () => {
    const cleanup = useCleanup();

    it('should serve the last view while down, and register again within one heartbeat after', async () => {
      const consul = await startConsul({ cleanup });
      const server = capturingLogger();
      const reader = capturingLogger();
      const id = serverId();
      const late = serverId();
      const d = cleanup.add(createConsulDiscovery({ consulAddr: consul.httpAddr, logger: server.logger }));
      const other = cleanup.add(createConsulDiscovery({ consulAddr: consul.httpAddr }));
      const watcher = cleanup.add(
        createConsulDiscovery({ consulAddr: consul.httpAddr, logger: reader.logger, retryMaxMs: 500 }),
      );
      const down = 'discovery unreachable; serving the last known view until it answers';
      const up = 'discovery reachable again';
      const log = watchLog([id, late]);
      await watcher.watch(log.onChange);
      await d.register(registration(id));
      await d.passTtl(load());
      await waitFor(() => log.latest().length === 1, { what: 'the server in the watch', timeout: 10_000 });
      const before = await watcher.healthyServers();

      await consul.kill();
      // The watch itself notices the outage (its query fails). A dev agent restarts in ~0.1 s, so
      // without this the whole outage could fall between two queries, and the watch would carry
      // the old agent's index into the new one and block for one `wait` before starting over.
      await waitFor(() => reader.messages(down).length === 1, { what: 'the watch to notice', timeout: 5000 });
      await expect(d.passTtl(load())).rejects.toBeInstanceOf(DiscoveryUnavailableError);
      await expect(d.passTtl(load())).rejects.toBeInstanceOf(DiscoveryUnavailableError);
      await expect(watcher.healthyServers()).rejects.toBeInstanceOf(DiscoveryUnavailableError);
      // A server starting during the outage: registration fails now, its heartbeat registers later.
      await expect(other.register(registration(late, { port: 18_002 }))).rejects.toBeInstanceOf(
        DiscoveryUnavailableError,
      );
      const stale = await watcher.lastKnown();
      expect(stale).toMatchObject({ stale: true, servers: before });

      await consul.restart();
      // The restarted dev agent has forgotten everything: this heartbeat registers again.
      await d.passTtl(load());
      await other.passTtl(load());
      await waitFor(() => log.latest().filter((s) => s.status === 'passing').length === 2, {
        what: 'both servers in the resumed watch',
        timeout: 15_000,
      });
      expect(log.latest().map((s) => s.serverId)).toEqual([id, late].sort());

      // One line per state change, however many calls failed in between.
      expect(server.messages(down)).toHaveLength(1);
      expect(server.messages(up)).toHaveLength(1);
      expect(server.messages('consul did not know this instance; registering again')).toHaveLength(1);
      await waitFor(() => reader.messages(up).length === 1, { what: 'the reader back up', timeout: 5000 });
      expect(reader.messages(down)).toHaveLength(1);
    });

    it('should make a watch start over when its own heartbeat finds the agent restarted', async () => {
      const consul = await startConsul({ cleanup });
      const id = serverId();
      // A server that also watches (its /api/servers). The wait is long on purpose: a watch that
      // carried the old agent's index into the new one would be stuck for all of it.
      const d = cleanup.add(createConsulDiscovery({ consulAddr: consul.httpAddr, watchWaitMs: 60_000 }));
      const log = watchLog([id]);
      await d.watch(log.onChange);
      await d.register(registration(id));
      // Several quick restarts: each may fall between two watch queries, where no error shows.
      for (let i = 0; i < 4; i += 1) {
        await d.passTtl(load({ tank_count: i }), { status: 'warning' });
        // Kill right after the watch's answer, while its loop pauses between queries.
        await waitFor(() => log.latest()[0]?.status === 'warning', {
          what: 'warning',
          timeout: 5000,
          interval: 1,
        });
        await consul.kill();
        await consul.restart();
        await d.passTtl(load({ tank_count: i }));
        await waitFor(() => log.latest()[0]?.status === 'passing', {
          what: `passing after restart ${i}`,
          timeout: 5000,
        });
      }
    });
  });
});
