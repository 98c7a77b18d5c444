/**
 * @module
 * `tankworld mesh up` as a user runs it: it prints the Consul UI URL, each server's WebSocket
 * URL and a dev token, every printed address answers, and Ctrl-C (SIGINT) stops every process
 * it started: none of the process tree survives.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/index.ts';
import { PROJECT_ROOT } from '../../src/mesh/index.ts';
import { livingProcesses, processTree, waitFor } from '../support/index.ts';

const SECRET = 'mesh-up-test-secret-0123456789abc';
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
});

describe('tankworld mesh up', () => {
  it('should print working URLs and a dev token, and leave nothing running after Ctrl-C', async () => {
    child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, 'src/cli.ts'), 'mesh', 'up', '--servers', '2', '--gateway', 'false'],
      { cwd: PROJECT_ROOT, env: { ...process.env, JWT_SECRET: SECRET, LOG_LEVEL: 'warn' }, stdio: 'pipe' },
    );
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await waitFor(() => out.includes('Ctrl-C stops everything') || child!.exitCode !== null, {
      what: 'the mesh summary',
      timeout: 90_000,
      interval: 100,
    });
    expect(out).toContain('Ctrl-C stops everything');

    const ui = /consul ui +(\S+)/.exec(out)![1]!;
    const page = await fetch(ui);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const servers = [...out.matchAll(/^ {2}(server-\d+) +(ws:\/\/\S+)/gm)].map(
      (m) => [m[1]!, m[2]!] as const,
    );
    expect(servers.map(([id]) => id)).toEqual(['server-1', 'server-2']);
    for (const [id, ws] of servers) {
      const health = await fetch(`${new URL(ws).origin.replace(/^ws/, 'http')}/health`);
      expect(((await health.json()) as { server_id: string }).server_id).toBe(id);
    }
    const token = /dev token +(\S+)/.exec(out)![1]!;
    expect(await createTokenVerifier({ secret: SECRET }).verify(token)).toMatchObject({ userId: 'dev' });

    const tree = processTree(child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(5);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await waitFor(() => livingProcesses(tree).length === 0, {
      what: 'every process of the mesh gone',
      timeout: 20_000,
      interval: 100,
    });
    await expect(fetch(ui)).rejects.toThrow();
  });
});
