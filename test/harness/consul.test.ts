/**
 * @module
 * Harness self-test: the Consul dev agent, shared and killable, with real TTL checks.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  consulAddr,
  livingProcesses,
  processTree,
  startConsul,
  useCleanup,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();

async function consul(addr: string, method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`http://${addr}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

async function checkStatus(addr: string, service: string): Promise<string | undefined> {
  const checks = (await (await consul(addr, 'GET', `/v1/health/checks/${service}`)).json()) as {
    Status: string;
  }[];
  return checks[0]?.Status;
}

describe('shared Consul', () => {
  it('should turn a TTL check critical once it is not passed within its TTL', async () => {
    const addr = consulAddr();
    const id = `ttl-${randomBytes(4).toString('hex')}`;
    await consul(addr, 'PUT', '/v1/agent/service/register', {
      Name: id,
      ID: id,
      Port: 1,
      Check: { CheckID: `${id}-ttl`, TTL: '2s' },
    });
    cleanup.add(() => consul(addr, 'PUT', `/v1/agent/service/deregister/${id}`));

    await consul(addr, 'PUT', `/v1/agent/check/update/${id}-ttl`, { Status: 'passing', Output: 'tanks=1' });
    const passedAt = performance.now();
    expect(await checkStatus(addr, id)).toBe('passing');

    await waitFor(async () => (await checkStatus(addr, id)) === 'critical', {
      what: 'the TTL check to go critical',
      timeout: 10_000,
      interval: 100,
    });
    expect(performance.now() - passedAt).toBeGreaterThanOrEqual(1900);
  });
});

describe('own Consul', () => {
  it('should forget registrations across a restart on the same ports', async () => {
    const agent = await startConsul({ cleanup });
    await consul(agent.httpAddr, 'PUT', '/v1/agent/service/register', {
      Name: 'tank-server',
      ID: 's1',
      Port: 1,
    });
    const before = await (await consul(agent.httpAddr, 'GET', '/v1/agent/services')).json();
    expect(Object.keys(before)).toEqual(['s1']);

    await agent.kill();
    await expect(consul(agent.httpAddr, 'GET', '/v1/agent/services')).rejects.toThrow();

    await agent.restart();
    const after = await (await consul(agent.httpAddr, 'GET', '/v1/agent/services')).json();
    expect(after).toEqual({});
    expect((await fetch(`${agent.url}/ui/`)).status).toBe(200);
  });

  it('should leave no process behind after stop, even when stopped twice', async () => {
    const agent = await startConsul();
    const tree = processTree(agent.pid!);
    await Promise.all([agent.stop(), agent.stop()]);
    expect(livingProcesses(tree)).toEqual([]);
  });
});
