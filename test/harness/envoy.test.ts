/**
 * @module
 * Harness self-test: the pinned Envoy binary, and a Connect sidecar for a registered service.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pinnedVersions } from '../../src/mesh/index.ts';
import {
  binaries,
  consulAddr,
  freePort,
  livingProcesses,
  processTree,
  startEnvoySidecar,
  useCleanup,
} from '../support/index.ts';

const cleanup = useCleanup();

async function registerWithSidecar(name: string): Promise<{ id: string; publicPort: number }> {
  const id = `${name}-${randomBytes(4).toString('hex')}`;
  // Its own public port: the agent's default range (21000+) is shared by every agent on the host.
  const publicPort = await freePort();
  const res = await fetch(`http://${consulAddr()}/v1/agent/service/register`, {
    method: 'PUT',
    body: JSON.stringify({
      Name: name,
      ID: id,
      Address: '127.0.0.1',
      Port: await freePort(),
      Connect: { SidecarService: { Port: publicPort, Proxy: { Config: { bind_address: '127.0.0.1' } } } },
    }),
  });
  expect(res.status).toBe(200);
  cleanup.add(() =>
    fetch(`http://${consulAddr()}/v1/agent/service/deregister/${id}`, { method: 'PUT' }).then((r) =>
      r.text(),
    ),
  );
  return { id, publicPort };
}

describe('Envoy', () => {
  it('should be the pinned version', async () => {
    const { stdout } = await promisify(execFile)(binaries().envoy, ['--version']);
    expect(stdout).toContain(`${pinnedVersions().envoy}/Clean/RELEASE`);
  });

  it('should run as a Connect sidecar: LIVE, with the public listener Consul pushed', async () => {
    const { id, publicPort } = await registerWithSidecar('web');
    const envoy = await startEnvoySidecar({ sidecarFor: id, cleanup });

    const ready = await fetch(`${envoy.adminUrl}/ready`);
    expect(ready.status).toBe(200);
    expect((await ready.text()).trim()).toBe('LIVE');
    const { listener_statuses: listeners } = (await (
      await fetch(`${envoy.adminUrl}/listeners?format=json`)
    ).json()) as { listener_statuses: { name: string }[] };
    expect(listeners.map((l) => l.name)).toContain(`public_listener:127.0.0.1:${publicPort}`);
  });

  it('should come back LIVE after SIGKILL and restart, and leave no process after stop', async () => {
    const { id } = await registerWithSidecar('api');
    const envoy = await startEnvoySidecar({ sidecarFor: id });
    const firstTree = processTree(envoy.pid!);
    await envoy.kill();
    expect(livingProcesses(firstTree)).toEqual([]);
    await expect(fetch(`${envoy.adminUrl}/ready`)).rejects.toThrow();

    await envoy.restart();
    expect((await (await fetch(`${envoy.adminUrl}/ready`)).text()).trim()).toBe('LIVE');
    const tree = processTree(envoy.pid!);
    await Promise.all([envoy.stop(), envoy.stop()]);
    expect(livingProcesses(tree)).toEqual([]);
  });
});
