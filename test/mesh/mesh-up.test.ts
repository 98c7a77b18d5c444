/**
 * @module
 * `tankworld mesh up` as a user runs it: it prints the gateway URL, the Consul UI URL and the
 * run's operator token (ACLs are on), each server's WebSocket URL and a dev token, and every printed address answers: tanks created at the
 * gateway land on both servers, a proxied read and a cross-server transfer go through the
 * gateway's Envoy sidecar (its per-server clusters count them), a WebSocket opens straight to a
 * server. Ctrl-C (SIGINT) stops every process it started: none of the process tree survives.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/index.ts';
import { PROJECT_ROOT } from '../../src/mesh/index.ts';
import { livingProcesses, processTree, waitFor } from '../support/index.ts';
import { firstWsMessage, gatewayUser, requestsToSubset, tanksOnTwoServers } from './mesh-support.ts';

const SECRET = 'mesh-up-test-secret-0123456789abc';
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Runs `tankworld mesh up <args>` and waits for its summary. */
async function meshUp(
  args: string[],
): Promise<{ child: ChildProcess; out: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'src/cli.ts'), 'mesh', 'up', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, JWT_SECRET: SECRET, LOG_LEVEL: 'warn', HEARTBEAT_MS: '1000' },
    stdio: 'pipe',
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => out.includes('Ctrl-C stops everything') || child.exitCode !== null, {
    what: 'the mesh summary',
    timeout: 90_000,
    interval: 100,
  });
  expect(out).toContain('Ctrl-C stops everything');
  return { child, out, exited };
}

describe('tankworld mesh up', () => {
  it('should print working URLs and a dev token, serve through the gateway, and leave nothing running after Ctrl-C', async () => {
    const { child, out, exited } = await meshUp(['--servers', '2', '--observability', 'false']);

    const ui = /consul ui +(\S+)/.exec(out)![1]!;
    const page = await fetch(ui);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    // ACLs on, default deny: the printed operator token sees the servers, anonymous sees none.
    const consulToken = /consul token +(\S+)/.exec(out)![1]!;
    const tokenFile = /also in (\S+)\)/.exec(out)![1]!;
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(consulToken);
    const health = (token?: string) =>
      fetch(new URL('/v1/health/service/tank-server', ui), {
        headers: token ? { 'x-consul-token': token } : {},
      }).then((r) => r.json() as Promise<unknown[]>);
    expect(await health()).toEqual([]);
    expect(await health(consulToken)).toHaveLength(2);
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

    const [, gatewayUrl, gatewayAdmin] = /gateway +(http\S+) .*admin (\S+)\)/.exec(out)!;
    const user = gatewayUser(gatewayUrl!, token);
    const [a, b] = await tanksOnTwoServers(user, 'up');
    const lookup = (await (await user.call(`/gateway/tanks/${b.tankId}`)).json()) as {
      tank: { server_id: string };
      websocket_url: string;
    };
    expect(lookup.tank.server_id).toBe(b.serverId);
    // Every call the gateway makes to a server goes through its sidecar's per-server cluster.
    const subset = (id: string) => requestsToSubset(gatewayAdmin!, id);
    const before = { a: await subset(a.serverId), b: await subset(b.serverId) };
    const stats = await user.call(`/api/tanks/${b.tankId}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.headers.get('x-tank-server')).toBe(b.serverId);
    expect(await subset(b.serverId)).toBe(before.b + 1);
    const [fish] = await user.fishOf(a.tankId);
    const moved = await user.transfer(a.tankId, b.tankId, fish!.id);
    expect(moved.status, await moved.clone().text()).toBe(200);
    expect((await user.fishOf(b.tankId)).filter((f) => f.uid === fish!.uid)).toHaveLength(1);
    expect((await user.fishOf(a.tankId)).filter((f) => f.uid === fish!.uid)).toHaveLength(0);
    // Prepare and commit on each side, through the sidecar (plus the reads above).
    expect((await subset(a.serverId)) - before.a).toBeGreaterThanOrEqual(2);
    // Viewers connect straight to the tank's server, not through the gateway or the mesh.
    const hello = await firstWsMessage(`${lookup.websocket_url}?token=${token}`);
    expect(JSON.parse(hello)).toMatchObject({ type: 'hello', tank_id: b.tankId });

    const tree = processTree(child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(8);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await waitFor(() => livingProcesses(tree).length === 0, {
      what: 'every process of the mesh gone',
      timeout: 20_000,
      interval: 100,
    });
    await expect(fetch(ui)).rejects.toThrow();
  });

  it('should leave nothing running when it is killed outright (SIGKILL: no exit hooks run)', async () => {
    const { child, out, exited } = await meshUp(['--servers', '1', '--observability', 'false']);
    const tree = processTree(child.pid!);
    const commands = tree.map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        return '';
      }
    });
    // The Envoys of the server and of the gateway are in the tree (children of mesh up).
    expect(
      commands.filter((c) => /\/envoy --config-path /.test(c)),
      commands.join('\n'),
    ).toHaveLength(2);
    child.kill('SIGKILL');
    await exited;
    // Every child was started with a parent-death signal; Envoys too (not exec'd by consul).
    await waitFor(() => livingProcesses(tree).length === 0, {
      what: 'every process of the killed mesh gone',
      timeout: 20_000,
      interval: 100,
    });
    await expect(fetch(/consul ui +(\S+)/.exec(out)![1]!)).rejects.toThrow();
  });
});
