/**
 * @module
 * Several gateways behind one address, as processes: three `tankworld gateway` and two
 * `tankworld server` on a real Consul agent, PostgreSQL and Redis, with a round-robin TCP
 * balancer in front of the gateways. Creations, transfers and event streams work through any
 * gateway; a gateway SIGKILLed mid-transfer (at the coordinator's fault-injection points) has
 * its transfer finished by another gateway's recovery, the client's retry through the one
 * address gets the answer, and no fish is lost or duplicated (audit by uid); and a tank moved
 * live through one gateway is looked up at its new server through another as soon as that
 * gateway has heard of the move (docs/gateways.md).
 */

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { UNLIMITED_ENV } from '../../bench/support/limits.ts';
import { mintToken, OPERATOR_SCOPE } from '../../src/auth/index.ts';
import {
  distributedEnv,
  type EventStream,
  freePorts,
  openEventStream,
  type ProgramHandle,
  startConsul,
  startRedis,
  startTankworld,
  startTcpBalancer,
  type TcpBalancer,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();
const SECRET = 'several-gateways-secret-0123456789';
const GATEWAYS = ['gw-a', 'gw-b', 'gw-c'];
const SERVERS = ['srv-1', 'srv-2'];

let balancer: TcpBalancer;
let sql: postgres.Sql;
let token: string;
/** Each gateway's crash file (`TANKWORLD_CRASH_FILE`): the points armed in it now. */
const crashFiles = new Map<string, string>();
/** Restarts of killed gateways, run in the background while the next case goes on. */
const restarts: Array<Promise<void>> = [];
const gatewayPorts = new Map<string, number>();
const serverPorts = new Map<string, number>();
const gateways = new Map<string, ProgramHandle>();

beforeAll(async () => {
  const [consul, redis, database] = await Promise.all([
    startConsul({ cleanup }),
    startRedis({ cleanup }),
    useDatabase({ cleanup }),
  ]);
  sql = cleanup.add(postgres(database.url, { max: 2, onnotice: () => {} }));
  token = await mintToken({ secret: SECRET, userId: 'alice', scopes: [OPERATOR_SCOPE] });
  const crashDir = await mkdtemp(path.join(tmpdir(), 'tw-gateways-'));
  for (const id of GATEWAYS) {
    crashFiles.set(id, path.join(crashDir, `${id}.crash`));
    await writeFile(crashFiles.get(id)!, '');
  }
  const ports = await freePorts(GATEWAYS.length + SERVERS.length);
  for (const [i, id] of GATEWAYS.entries()) gatewayPorts.set(id, ports[i]!);
  for (const [i, id] of SERVERS.entries()) serverPorts.set(id, ports[GATEWAYS.length + i]!);
  const env = {
    ...distributedEnv({ consul, database, redis, secret: SECRET }),
    ...UNLIMITED_ENV,
    CHECK_TTL: '2s',
    // No failover: no server dies here, and a gateway's death must not move tanks.
    FAILOVER_GRACE_MS: '0',
    // Recovery passes every 300 ms and takes a transfer idle for 600 ms.
    TRANSFER_RECOVERY_MS: '300',
  };
  const startGateway = (id: string) =>
    startTankworld({
      role: 'gateway',
      id,
      port: gatewayPorts.get(id)!,
      env: { ...env, TANKWORLD_CRASH_FILE: crashFiles.get(id)! },
      cleanup,
    });
  // The first gateway migrates the schema; the others and the servers start on it.
  gateways.set('gw-a', await startGateway('gw-a'));
  const others = await Promise.all([
    ...GATEWAYS.slice(1).map(async (id) => gateways.set(id, await startGateway(id))),
    ...SERVERS.map((id) =>
      startTankworld({
        role: 'server',
        id,
        port: serverPorts.get(id)!,
        env: { ...env, SNAPSHOT_INTERVAL_MS: '500' },
        cleanup,
      }),
    ),
  ]);
  expect(others).toHaveLength(GATEWAYS.length - 1 + SERVERS.length);
  balancer = await startTcpBalancer({
    targets: GATEWAYS.map((id) => ({ host: '127.0.0.1', port: gatewayPorts.get(id)! })),
    cleanup,
  });
  for (const id of GATEWAYS) {
    await waitFor(async () => (await health(direct(id))).servers.passing === SERVERS.length, {
      what: `both servers passing at ${id}`,
      timeout: 30_000,
    });
  }
}, 120_000);

// A failed case is read from the gateways' own logs.
beforeEach(() => {
  onTestFailed(async () => {
    for (const [id, proc] of gateways) {
      const text = await readFile(proc.logFile, 'utf8').catch(() => '');
      console.error(
        `--- ${id} (${proc.running ? 'running' : 'exited'})\n${text.split('\n').slice(-40).join('\n')}`,
      );
    }
  });
});

const direct = (gatewayId: string) => `http://127.0.0.1:${gatewayPorts.get(gatewayId)}`;

interface Reply<T> {
  status: number;
  body: T;
}

/**
 * One request on a connection of its own (no keep-alive), so each call through the balancer
 * goes to the next gateway in turn.
 */
function call<T = Record<string, unknown>>(
  base: string,
  route: string,
  { method = 'GET', body, key }: { method?: string; body?: unknown; key?: string } = {},
): Promise<Reply<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${base}${route}`, {
      method,
      agent: false,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload !== undefined && { 'content-type': 'application/json' }),
        ...(key !== undefined && { 'idempotency-key': key }),
      },
      timeout: 30_000,
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${route}: timed out`)));
    req.on('error', (err) => reject(new Error(`${method} ${base}${route}: ${err.message}`, { cause: err })));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
      );
      res.on('error', reject);
    });
    req.end(payload);
  });
}

async function expectStatus<T>(reply: Promise<Reply<T>>, status: number): Promise<T> {
  const { status: got, body } = await reply;
  if (got !== status) throw new Error(`expected ${status}, got ${got}: ${JSON.stringify(body)}`);
  return body;
}

async function health(base: string): Promise<{ gateway_id: string; servers: { passing: number } }> {
  return expectStatus(call(base, '/health'), 200);
}

/** `GET /api/events` through `base`, parsed as it arrives, once it says it is connected. */
function openEvents(base: string): Promise<EventStream> {
  return openEventStream({
    url: `${base}/api/events`,
    headers: { authorization: `Bearer ${token}` },
    cleanup,
  });
}

interface Lookup {
  tank: { tank_id: string; server_id: string; epoch: number };
  server: { server_id: string };
  websocket_url: string;
}

async function createTank(base: string, name: string, server?: string): Promise<string> {
  const { tank } = await expectStatus<Lookup>(
    call(base, '/api/tanks', {
      method: 'POST',
      body: { name, initial_fish: 5, ...(server && { server_id: server }) },
    }),
    201,
  );
  return tank.tank_id;
}

/** A paused tank (no births, no deaths) on `server`, so its fish are a fixed set of uids. */
async function pausedTank(name: string, server: string): Promise<string> {
  const id = await createTank(balancer.url, name, server);
  await expectStatus(call(balancer.url, `/api/tanks/${id}/pause`, { method: 'POST' }), 200);
  return id;
}

async function fish(tankId: string): Promise<Array<{ id: number; uid: string }>> {
  const { entities } = await expectStatus<{ entities: Array<{ id: number; uid: string }> }>(
    call(balancer.url, `/api/tanks/${tankId}/entities?kind=fish`),
    200,
  );
  return entities;
}

async function uids(...tankIds: string[]): Promise<string[]> {
  return (await Promise.all(tankIds.map(fish))).flatMap((f) => f.map((x) => x.uid)).sort();
}

/** Recovery done: nothing unfinished in the log, no reservation held anywhere. */
async function settled(): Promise<boolean> {
  const [open] = await sql`select
    (select count(*) from transfers where status in ('initiated', 'prepared'))::int as unfinished,
    (select count(*) from transfer_reservations)::int as held`;
  return open!.unfinished === 0 && open!.held === 0;
}

describe('several gateways behind one address (processes)', () => {
  it('should create through any gateway and stream every event through each', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < GATEWAYS.length; i++) seen.add((await health(balancer.url)).gateway_id);
    expect([...seen].sort()).toEqual(GATEWAYS);

    // One stream through the balancer lands on each gateway in turn.
    const before = [...balancer.served];
    const streams = [];
    for (let i = 0; i < GATEWAYS.length; i++) streams.push(await openEvents(balancer.url));
    expect(balancer.served.map((n, i) => n - before[i]!)).toEqual([1, 1, 1]);

    const beforeCreates = [...balancer.served];
    const created: string[] = [];
    for (let i = 0; i < 6; i++) created.push(await createTank(balancer.url, `anywhere ${i}`));
    expect(balancer.served.map((n, i) => n - beforeCreates[i]!)).toEqual([2, 2, 2]);
    for (const [g, stream] of streams.entries()) {
      await waitFor(
        () =>
          created.every((id) =>
            stream.events.some((e) => e.event === 'tank_created' && e.data.tank_id === id),
          ),
        { what: `every tank_created on stream ${g}` },
      );
    }
    // Each gateway finds every tank, whichever created it.
    for (const id of GATEWAYS)
      for (const tankId of created) await expectStatus(call(direct(id), `/gateway/tanks/${tankId}`), 200);
  }, 45_000);

  it('should commit transfers sent through any gateway, each fish in exactly one tank', async () => {
    const a = await pausedTank('transfers a', 'srv-1');
    const b = await pausedTank('transfers b', 'srv-2');
    const baseline = await uids(a, b);
    const before = [...balancer.served];
    for (const [i, moving] of (await fish(a)).slice(0, 3).entries()) {
      const answer = await expectStatus<{ success: boolean; entity_uid: string }>(
        call(balancer.url, '/gateway/transfer', {
          method: 'POST',
          key: `any-gateway-${i}`,
          body: { source_tank_id: a, dest_tank_id: b, entity_id: moving.id, entity_type: 'fish' },
        }),
        200,
      );
      expect(answer).toMatchObject({ success: true, entity_uid: moving.uid });
    }
    expect(balancer.served.map((n, i) => n - before[i]!).every((n) => n >= 1)).toBe(true);
    expect(await uids(a, b)).toEqual(baseline);
    expect((await fish(b)).length).toBe(8);
  }, 45_000);

  // Each gateway in turn dies at one of the coordinator's steps, and a living one finishes
  // what it logged; the dead one restarts meanwhile, disarmed (all but the last).
  it.each([
    ['gw-a', 'before_prepare', 'aborted'],
    ['gw-b', 'after_prepare', 'committed'],
    ['gw-c', 'after_dest_commit', 'committed'],
  ] as const)(
    'should finish a transfer whose gateway %s dies at %s on another gateway (%s)',
    async (victim, point, outcome) => {
      // Two gateways are up when one dies: the one before this victim has restarted.
      await Promise.all(restarts.slice(0, -1));
      const a = await pausedTank(`killed ${point} a`, 'srv-1');
      const b = await pausedTank(`killed ${point} b`, 'srv-2');
      const baseline = await uids(a, b);
      const moving = (await fish(a))[0]!;
      const body = { source_tank_id: a, dest_tank_id: b, entity_id: moving.id, entity_type: 'fish' };
      const key = `killed-${point}`;

      await writeFile(crashFiles.get(victim)!, point);
      const lost = await call(direct(victim), '/gateway/transfer', { method: 'POST', key, body }).then(
        () => 'answered',
        () => 'connection lost',
      );
      expect(lost).toBe('connection lost');
      await waitFor(() => !gateways.get(victim)!.running, { what: `${victim} killed at ${point}` });

      // The client retries through the one address: a living gateway answers with the outcome.
      const retry = await call<{ transfer_id: string }>(balancer.url, '/gateway/transfer', {
        method: 'POST',
        key,
        body,
      });
      await waitFor(settled, {
        what: 'another gateway to finish the transfer',
        timeout: 20_000,
        interval: 100,
      });
      const [row] = await sql`select transfer_id, status from transfers where idempotency_key = ${key}`;
      expect(row!.status).toBe(outcome);
      expect(retry.body.transfer_id).toBe(row!.transfer_id);
      expect(retry.status).toBe(outcome === 'committed' ? 200 : 503);
      expect(await uids(a, b)).toEqual(baseline);
      expect((await fish(b)).some((f) => f.uid === moving.uid)).toBe(outcome === 'committed');

      await writeFile(crashFiles.get(victim)!, '');
      // The last victim stays down: what follows needs two gateways, and a start is the dear part.
      if (victim !== GATEWAYS.at(-1)) restarts.push(gateways.get(victim)!.restart());
    },
    45_000,
  );

  it('should pass the audit through the one address: no fish lost, none duplicated', async () => {
    const report = await expectStatus<{ ok: boolean; duplicated: unknown[]; reservations: number }>(
      call(balancer.url, '/api/audit'),
      200,
    );
    expect(report).toMatchObject({ ok: true, duplicated: [], reservations: 0 });
  }, 45_000);

  it('should look up a tank moved through one gateway at its new server through another', async () => {
    await Promise.all(restarts);
    const tankId = await createTank(direct('gw-a'), 'moving', 'srv-1');
    const stream = await openEvents(direct('gw-b'));
    const delays: number[] = [];
    // Back and forth: each move through gw-a while gw-b holds the tank's last location.
    for (const [from, to] of [
      ['srv-1', 'srv-2'],
      ['srv-2', 'srv-1'],
      ['srv-1', 'srv-2'],
      ['srv-2', 'srv-1'],
    ]) {
      const before = await expectStatus<Lookup>(call(direct('gw-b'), `/gateway/tanks/${tankId}`), 200);
      expect(before.server.server_id).toBe(from);
      const heard = stream.events.length;
      await expectStatus(
        call(direct('gw-a'), `/api/tanks/${tankId}/move`, { method: 'POST', body: { server_id: to } }),
        200,
      );
      // gw-b's stream hears of the move after gw-b's cache has dropped the tank (one listener
      // list, the cache's first): from then on every lookup there names the new server.
      const moved = await waitFor(
        () => stream.events.slice(heard).find((e) => e.event === 'tank_moved' && e.data.tank_id === tankId),
        { what: 'tank_moved on gw-b' },
      );
      const after = await expectStatus<Lookup>(call(direct('gw-b'), `/gateway/tanks/${tankId}`), 200);
      expect(after.server.server_id).toBe(to);
      expect(after.tank.epoch).toBeGreaterThan(before.tank.epoch);
      expect(new URL(after.websocket_url).port).toBe(String(serverPorts.get(to)));
      delays.push(moved.receivedAt - Date.parse(moved.data.at as string));
    }
    // The bound of docs/gateways.md, as measured here: announcement to gw-b's listeners.
    console.log(`tank_moved from the server's announcement to gw-b's stream, ms: ${delays.join(', ')}`);
  }, 45_000);
});
