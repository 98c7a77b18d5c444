/**
 * @module
 * Transfers under SIGKILL, with real processes: two `tankworld server` processes and a
 * `tankworld gateway` (the coordinator) on one PostgreSQL and a Consul agent of the test's own.
 * For each victim (source, destination, gateway) and
 * each step (before prepare, after prepare, after the destination commit, before the source
 * drops its hold) the victim kills itself at that exact point (fault-injection points of
 * `src/fault`, armed through a file), is restarted, and once recovery is done every fish is in
 * exactly one tank: none lost, none duplicated, no reservation left. Ends with `tankworld audit`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import {
  freePorts,
  type ProgramHandle,
  startConsul,
  startTankworld,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();
const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'transfer-faults-secret-0123456789';
const run = promisify(execFile);

type Victim = 'source' | 'dest' | 'gateway';
type Step = 'before_prepare' | 'after_prepare' | 'after_dest_commit' | 'before_source_drop';

/** The crash point at which each victim dies for each step. */
const POINT: Record<Victim, Record<Step, string>> = {
  source: {
    before_prepare: 'source_before_prepare',
    after_prepare: 'source_after_prepare',
    after_dest_commit: 'source_before_drop',
    before_source_drop: 'source_before_drop',
  },
  dest: {
    before_prepare: 'dest_before_prepare',
    after_prepare: 'dest_after_prepare',
    after_dest_commit: 'dest_after_commit',
    before_source_drop: 'dest_after_commit',
  },
  gateway: {
    before_prepare: 'before_prepare',
    after_prepare: 'after_prepare',
    after_dest_commit: 'after_dest_commit',
    before_source_drop: 'before_source_drop',
  },
};

let dbUrl: string;
let sql: postgres.Sql;
let token: string;
let ports: number[];
const files: Record<Victim, string> = { source: '', dest: '', gateway: '' };
const procs = {} as Record<Victim, ProgramHandle>;

/** The process on `port` answers and is the one named `id` (not a stale one on a reused port). */

beforeAll(async () => {
  const [db, consul] = await Promise.all([useDatabase({ cleanup }), startConsul({ cleanup })]);
  dbUrl = db.url;
  sql = cleanup.add(postgres(dbUrl, { max: 2, onnotice: () => {} }));
  token = await mintToken({ secret: SECRET, userId: 'alice' });
  ports = await freePorts(3);
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-faults-'));
  for (const v of ['source', 'dest', 'gateway'] as const) {
    files[v] = path.join(dir, `${v}.crash`);
    await writeFile(files[v], '');
  }
  const common = {
    DISCOVERY: 'consul',
    CONSUL_HTTP_ADDR: consul.httpAddr,
    DATABASE_URL: dbUrl,
    JWT_SECRET: SECRET,
    INTERNAL_SECRET: SECRET,
    HEARTBEAT_MS: '300',
    CHECK_TTL: '2s',
    LOG_LEVEL: 'warn',
  };
  // The gateway migrates the schema first; the servers then start on it.
  procs.gateway = await startTankworld({
    role: 'gateway',
    id: 'gw-faults',
    port: ports[2]!,
    env: {
      ...common,
      // Never fail over: a killed server's tanks wait for its restart, as each case expects.
      FAILOVER_GRACE_MS: '0',
      TRANSFER_RECOVERY_MS: '300',
      TANKWORLD_CRASH_FILE: files.gateway,
    },
    cleanup,
  });
  for (const [i, v] of (['source', 'dest'] as const).entries()) {
    procs[v] = await startTankworld({
      role: 'server',
      id: `server-${i + 1}`,
      port: ports[i]!,
      env: { ...common, SNAPSHOT_INTERVAL_MS: '200', TANKWORLD_CRASH_FILE: files[v] },
      cleanup,
    });
  }
}, 120_000);

async function api<T>(
  port: number,
  route: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${route}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) throw new Error(`${route} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A paused tank (no births, no deaths) whose paused state is in its snapshot. */
async function pausedTank(port: number, seed: number): Promise<string> {
  const { tank } = await api<{ tank: { tank_id: string } }>(port, '/api/tanks', {
    method: 'POST',
    body: { name: `faults-${seed}`, seed, initial_fish: 6 },
  });
  await api(port, `/api/tanks/${tank.tank_id}/pause`, { method: 'POST' });
  await api(port, `/api/tanks/${tank.tank_id}/snapshots`, { method: 'POST' });
  return tank.tank_id;
}

async function fish(port: number, tankId: string): Promise<Array<{ id: number; uid: string }>> {
  const { entities } = await api<{ entities: Array<{ id: number; uid: string }> }>(
    port,
    `/api/tanks/${tankId}/entities?kind=fish`,
  );
  return entities;
}

/** Recovery done: nothing unfinished in the log, no reservation held anywhere. */
async function settled(): Promise<boolean> {
  const [open] = await sql`select
    (select count(*) from transfers where status in ('initiated', 'prepared'))::int as unfinished,
    (select count(*) from transfer_reservations)::int as held`;
  return open!.unfinished === 0 && open!.held === 0;
}

let seed = 1;

describe('transfers under SIGKILL (real processes)', () => {
  const cases = (['source', 'dest', 'gateway'] as const).flatMap((victim) =>
    (['before_prepare', 'after_prepare', 'after_dest_commit', 'before_source_drop'] as const).map(
      (step) => [victim, step] as [Victim, Step],
    ),
  );

  it.each(cases)(
    'should keep every fish in exactly one tank when the %s dies at %s',
    async (victim, step) => {
      const a = await pausedTank(ports[0]!, seed++);
      const b = await pausedTank(ports[1]!, seed++);
      const baseline = [...(await fish(ports[0]!, a)), ...(await fish(ports[1]!, b))]
        .map((f) => f.uid)
        .sort();
      const moving = (await fish(ports[0]!, a))[0]!;

      await writeFile(files[victim], POINT[victim][step]);
      const answer = fetch(`http://127.0.0.1:${ports[2]}/gateway/transfer`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': `fault-${victim}-${step}`,
        },
        body: JSON.stringify({ source_tank_id: a, dest_tank_id: b, entity_id: moving.id }),
      }).then(
        (res) => res.status,
        () => 'connection lost',
      );
      await waitFor(() => !procs[victim].running, {
        what: `${victim} killed at ${POINT[victim][step]}`,
        timeout: 20_000,
      });
      await writeFile(files[victim], '');
      await procs[victim].restart();
      await answer;
      await waitFor(settled, { what: 'recovery to finish the transfer', timeout: 30_000, interval: 100 });

      const after = [...(await fish(ports[0]!, a)), ...(await fish(ports[1]!, b))].map((f) => f.uid).sort();
      expect(after).toEqual(baseline);
      const [row] =
        await sql`select status from transfers where idempotency_key = ${`fault-${victim}-${step}`}`;
      expect(['committed', 'aborted']).toContain(row!.status);
      // Past `prepared` the decision is commit, whoever died.
      const inDest = (await fish(ports[1]!, b)).some((f) => f.uid === moving.uid);
      expect(inDest).toBe(row!.status === 'committed');
      if (step === 'after_dest_commit' || step === 'before_source_drop')
        expect(row!.status).toBe('committed');
      if (step === 'before_prepare') expect(row!.status).toBe('aborted');
    },
  );

  it('should pass `tankworld audit` after all of it', async () => {
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'src/cli.ts'), 'audit'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: dbUrl,
        JWT_SECRET: SECRET,
        INTERNAL_SECRET: SECRET,
        LOG_LEVEL: 'warn',
      },
    });
    const report = JSON.parse(stdout) as {
      ok: boolean;
      duplicated: unknown[];
      servers: string[];
      fish: number;
    };
    expect(report).toMatchObject({ ok: true, duplicated: [], servers: ['server-1', 'server-2'] });
    expect(report.fish).toBeGreaterThanOrEqual(12 * 12);
  });
});
