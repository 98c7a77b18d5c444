/**
 * @module
 * Harness self-test: PostgreSQL, shared and killable.
 */
import { existsSync } from 'node:fs';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import {
  livingProcesses,
  processTree,
  startPostgres,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();

describe('shared PostgreSQL', () => {
  it('should give each caller a database of its own and drop it on close', async () => {
    const [a, b] = await Promise.all([useDatabase({ cleanup }), useDatabase({ cleanup })]);
    expect(a.name).not.toBe(b.name);
    const sql = postgres(a.url, { max: 1, onnotice: () => {} });
    expect(await sql`select current_database() as name`).toEqual([{ name: a.name }]);
    await sql.end();
    await a.close();
    await a.close();
    const other = postgres(b.url, { max: 1 });
    const rows = await other`select 1 from pg_database where datname = ${a.name}`;
    await other.end();
    expect(rows).toHaveLength(0);
  });
});

describe('own PostgreSQL', () => {
  it('should fail queries after SIGKILL and serve the same data after restart', async () => {
    const pg = await startPostgres({ cleanup });
    const url = await pg.createDatabase('crash_test');
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    cleanup.add(() => sql.end({ timeout: 1 }));
    await sql`create table fish (id int primary key)`;
    await sql`insert into fish values (1)`;

    // Backends leave the postmaster's process group (setsid): the kill must reach them too.
    const oldTree = processTree(pg.pid!);
    expect(oldTree.length).toBeGreaterThan(1);
    await pg.kill();
    expect(pg.running).toBe(false);
    expect(livingProcesses(oldTree)).toEqual([]);
    await expect(sql`select 1`).rejects.toThrow();

    await pg.restart();
    expect(oldTree).not.toContain(pg.pid);
    // The same client reconnects to the same port and finds the committed row.
    const rows = await waitFor(() => sql`select id from fish`, { what: 'the client to reconnect' });
    expect([...rows]).toEqual([{ id: 1 }]);
  });

  it('should not mistake another server on its port for itself', async () => {
    const first = await startPostgres({ cleanup });
    await expect(startPostgres({ port: first.port })).rejects.toThrow(/address already in use/i);
  });

  it('should leave no process and no temp dir behind after stop, even when stopped twice', async () => {
    const pg = await startPostgres();
    const client = postgres(pg.url, { max: 1, onnotice: () => {} });
    await client`select 1`; // a backend, which must go too
    const tree = processTree(pg.pid!);
    await Promise.all([pg.stop(), pg.stop()]);
    await client.end({ timeout: 0 });
    expect(livingProcesses(tree)).toEqual([]);
    expect(existsSync(pg.dataDir)).toBe(false);
    await expect(pg.restart()).rejects.toMatchObject({ code: 'stopped' });
  });
});
