/**
 * @module
 * The fuzzing rig: a gateway and two tank servers in this process (`startGatewayStack`), their
 * OpenAPI documents, the callers (valid tokens of several users, forged, expired, none), the
 * tanks the inputs aim at, a watcher on a running tank, and a transfer loop that moves fish
 * between two paused tanks on the two servers through `POST /gateway/transfer` while the
 * fuzzing runs. No vitest import: `bench/fuzz.ts` uses it too.
 */
import { mintToken, OPERATOR_SCOPE } from '../../src/auth/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from '../gateway/fixture.ts';
import type { Cleanup } from '../support/index.ts';
import { type FuzzPools, type Identity, type OpenApiDoc, type Operation, operationsOf } from './http-fuzz.ts';
import type { WsPools } from './ws-fuzz.ts';

export interface FuzzRig {
  stack: GatewayStack;
  gatewayUrl: string;
  serverUrl: string;
  wsUrl: string;
  gatewayOps: Operation[];
  serverOps: Operation[];
  pools: FuzzPools;
  wsPools: WsPools;
  /** carol's running public tank: the WebSocket target and the watcher's. */
  watchedTank: string;
  /** keeper's paused tanks on server-1 and server-2: the transfer loop's. */
  transferTanks: [string, string];
  /** Headers of a user, for the rig's own calls. */
  auth(user: string): Promise<Record<string, string>>;
  /** Called with each 2xx answer: a created tank joins the pools; past `maxFuzzTanks`, the oldest is deleted. */
  noteCreated(json: unknown, authorization: string | undefined): Promise<void>;
  /** The uids of the fish in a tank, by the gateway. */
  fishUids(tankId: string): Promise<string[]>;
}

/** The identities the fuzzed requests take; carol and keeper own the tanks the checks rely on. */
const FUZZ_USERS = ['alice', 'bob', 'mallory'];

export async function startFuzzRig({
  cleanup,
  databaseUrl,
  maxFuzzTanks = 6,
}: {
  cleanup: Cleanup;
  databaseUrl?: string;
  maxFuzzTanks?: number;
}): Promise<FuzzRig> {
  // Beats well within the fixture's 30 s TTL: a run of minutes must not see its servers go
  // critical (then a 503 no_healthy_server would be the truth, not a bug).
  const stack = await startGatewayStack({ cleanup, servers: 2, databaseUrl, heartbeatMs: 5_000 });
  const [s1, s2] = stack.servers as [GatewayStack['servers'][number], GatewayStack['servers'][number]];
  const gatewayUrl = stack.gateway.url;
  const gatewayDoc = (await (await fetch(`${gatewayUrl}/openapi.json`)).json()) as OpenApiDoc;
  const serverDoc = (await (await fetch(`${s1.server.url}/openapi.json`)).json()) as OpenApiDoc;

  const tokens = new Map<string, string>();
  for (const user of [...FUZZ_USERS, 'carol'])
    tokens.set(user, await mintToken({ secret: SECRET, userId: user }));
  // The keeper reads the audit, which is for operators.
  tokens.set('keeper', await mintToken({ secret: SECRET, userId: 'keeper', scopes: [OPERATOR_SCOPE] }));
  const auth = async (user: string) => ({
    authorization: `Bearer ${tokens.get(user)}`,
    'content-type': 'application/json',
  });
  const forged = await mintToken({ secret: 'another-secret-0123456789abcdef', userId: 'alice' });
  const expired = await mintToken({
    secret: SECRET,
    userId: 'alice',
    ttlSeconds: 60,
    now: Date.now() - 3_600_000,
  });

  async function call<T>(url: string, user: string, method = 'GET', body?: unknown): Promise<T> {
    const res = await fetch(url, {
      method,
      headers: await auth(user),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
  const createOn = async (base: string, user: string, body: Record<string, unknown>) =>
    (await call<{ tank: { tank_id: string } }>(`${base}/api/tanks`, user, 'POST', body)).tank.tank_id;

  // The transfer loop's tanks, one per server, paused so nothing is born or dies.
  const a = await createOn(s1.server.url, 'keeper', { name: 'Keep A', seed: 11, initial_fish: 8 });
  const b = await createOn(s2.server.url, 'keeper', { name: 'Keep B', seed: 12, initial_fish: 8 });
  for (const id of [a, b]) await call(`${gatewayUrl}/api/tanks/${id}/pause`, 'keeper', 'POST');
  const watchedTank = await createOn(s1.server.url, 'carol', { name: 'Watched', seed: 13, initial_fish: 10 });
  const alice1 = await createOn(gatewayUrl, 'alice', { name: 'Alice one', seed: 14, initial_fish: 4 });
  const alice2 = await createOn(gatewayUrl, 'alice', {
    name: 'Alice two',
    seed: 15,
    initial_fish: 4,
    is_public: false,
  });
  const snapshot = await call<{ snapshot_id: string }>(
    `${gatewayUrl}/api/tanks/${alice1}/snapshots`,
    'alice',
    'POST',
  );

  const fixedTanks = [a, b, watchedTank, alice1, alice2];
  const identities: Identity[] = [
    // Valid callers most of the time: a request refused at the door tests only the door.
    ...[...FUZZ_USERS, ...FUZZ_USERS, 'alice', 'alice'].map((name) => ({
      name,
      authorization: `Bearer ${tokens.get(name)}`,
    })),
    { name: 'none' },
    { name: 'forged', authorization: `Bearer ${forged}` },
    { name: 'expired', authorization: `Bearer ${expired}` },
  ];
  const pools: FuzzPools = { tankIds: [...fixedTanks], snapshotIds: [snapshot.snapshot_id], identities };
  const wsPools: WsPools = {
    tankIds: [watchedTank, watchedTank, watchedTank, a, alice2],
    identities: [
      // Mostly admitted viewers: a refused upgrade never reaches the message handling.
      ...['carol', 'carol', 'carol', 'carol', 'carol', 'bob'].map((name) => ({
        name,
        token: tokens.get(name),
      })),
      { name: 'bob', token: tokens.get('bob') },
      { name: 'alice', token: tokens.get('alice') },
      { name: 'none' },
      { name: 'forged', token: forged },
      { name: 'expired', token: expired },
    ],
  };

  const created: Array<{ tankId: string; authorization: string }> = [];
  async function noteCreated(json: unknown, authorization: string | undefined): Promise<void> {
    const tankId = (json as { tank?: { tank_id?: unknown } } | undefined)?.tank?.tank_id;
    if (typeof tankId !== 'string' || !authorization) return;
    created.push({ tankId, authorization });
    pools.tankIds.push(tankId);
    if (pools.tankIds.length > fixedTanks.length + 20) pools.tankIds.splice(fixedTanks.length, 1);
    while (created.length > maxFuzzTanks) {
      const oldest = created.shift()!;
      await fetch(`${gatewayUrl}/api/tanks/${oldest.tankId}`, {
        method: 'DELETE',
        headers: { authorization: oldest.authorization },
      });
    }
  }

  async function fishUids(tankId: string): Promise<string[]> {
    const { entities } = await call<{ entities: Array<{ uid: string }> }>(
      `${gatewayUrl}/api/tanks/${tankId}/entities?kind=fish`,
      'keeper',
    );
    return entities.map((e) => e.uid);
  }

  return {
    stack,
    gatewayUrl,
    serverUrl: s1.server.url,
    wsUrl: s1.server.wsUrl,
    gatewayOps: operationsOf(gatewayDoc, serverDoc),
    serverOps: operationsOf(serverDoc),
    pools,
    wsPools,
    watchedTank,
    transferTanks: [a, b],
    auth,
    noteCreated,
    fishUids,
  };
}

export interface TransferLoopReport {
  /** Status (or error) → how many transfers. */
  histogram: Map<string, number>;
  moved: number;
  failures: string[];
}

/**
 * Moves one fish at a time back and forth between `a` and `b` through `POST /gateway/transfer`
 * until stopped; a 5xx or an error is a failure.
 *
 * @example
 * ```ts
 * const loop = startTransferLoop({ rig });
 * // … fuzz …
 * const report = await loop.stop();
 * ```
 */
export function startTransferLoop({ rig, pauseMs = 0 }: { rig: FuzzRig; pauseMs?: number }): {
  stop(): Promise<TransferLoopReport>;
} {
  const [a, b] = rig.transferTanks;
  const report: TransferLoopReport = { histogram: new Map(), moved: 0, failures: [] };
  let running = true;
  async function one(source: string, dest: string): Promise<void> {
    const headers = await rig.auth('keeper');
    const list = await fetch(`${rig.gatewayUrl}/api/tanks/${source}/entities?kind=fish`, { headers });
    const { entities } = (await list.json()) as { entities?: Array<{ id: number }> };
    const fish = entities?.[0];
    if (!fish) return;
    const res = await fetch(`${rig.gatewayUrl}/gateway/transfer`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ source_tank_id: source, dest_tank_id: dest, entity_id: fish.id }),
    });
    const text = await res.text();
    const key = String(res.status);
    report.histogram.set(key, (report.histogram.get(key) ?? 0) + 1);
    if (res.status === 200) report.moved++;
    else if (res.status >= 500) report.failures.push(`${res.status}: ${text.slice(0, 300)}`);
  }
  const done = (async () => {
    for (let i = 0; running; i++) {
      // Two fish one way, then two back: each tank keeps a few.
      const [source, dest] = Math.floor(i / 2) % 2 === 0 ? [a, b] : [b, a];
      await one(source, dest).catch((err: Error) => {
        report.failures.push(`error: ${err.message}`);
      });
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return report;
    },
  };
}
