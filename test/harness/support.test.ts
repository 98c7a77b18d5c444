/**
 * @module
 * Harness self-test: the pieces around the processes (cleanup registry, waiting, ports, start
 * errors), so their failures are clear when a real service misbehaves.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createCleanup,
  freePorts,
  HarnessUnavailableError,
  StartError,
  startRedis,
  WaitTimeoutError,
  waitFor,
} from '../support/index.ts';

describe('createCleanup', () => {
  it('should undo newest first, run every step despite failures, and then be empty', async () => {
    const cleanup = createCleanup();
    const order: string[] = [];
    cleanup.add(() => order.push('first'));
    cleanup.add({ stop: () => order.push('stop') });
    cleanup.add(() => {
      throw new Error('boom');
    });
    cleanup.add({ close: async () => order.push('close') });
    await expect(cleanup.run()).rejects.toThrow('boom');
    expect(order).toEqual(['close', 'stop', 'first']);
    await cleanup.run();
    expect(order).toHaveLength(3);
  });
});

describe('waitFor', () => {
  it('should resolve with the first truthy value', async () => {
    let calls = 0;
    expect(await waitFor(() => ++calls >= 3 && calls, { what: 'three calls', interval: 1 })).toBe(3);
  });

  it('should time out with the condition and the last error', async () => {
    const failing = waitFor(
      () => {
        throw new Error('connection refused');
      },
      { what: 'the moon', timeout: 50, interval: 10 },
    );
    await expect(failing).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(failing).rejects.toMatchObject({
      code: 'wait_timeout',
      message: expect.stringMatching(/waiting for the moon.*connection refused/),
    });
  });

  it('should stop at once when its signal aborts', async () => {
    const controller = new AbortController();
    const waiting = waitFor(() => false, { what: 'never', timeout: 10_000, signal: controller.signal });
    controller.abort(new Error('process exited'));
    await expect(waiting).rejects.toThrow('process exited');
  });
});

describe('freePorts', () => {
  it('should return distinct ports, free for UDP too when asked', async () => {
    const ports = await freePorts(6, { udp: true });
    expect(new Set(ports).size).toBe(6);
  });

  it('should pick ports below the ephemeral range, which outgoing connections take theirs from', async () => {
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    for (const port of await freePorts(20)) expect(port).toBeLessThan(Number(ephemeralLow));
  });

  it('should skip ports another living process reserved, and take over those of a dead one', async () => {
    // A range of four ports; another process reserves two of them and stays alive.
    const low = 24_100 + (process.pid % 400) * 10;
    const range = [low, low + 3] as const;
    const script = `
      const { freePorts } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../../src/mesh/ports.ts'))});
      const ports = await freePorts(2, { range: [${range[0]}, ${range[1]}] });
      console.log(JSON.stringify(ports));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const theirs = JSON.parse(line.toString()) as number[];
      const mine = await freePorts(2, { range });
      expect([...mine, ...theirs].sort()).toEqual([low, low + 1, low + 2, low + 3]);
      await expect(freePorts(1, { range })).rejects.toThrow(/no free port/);
      // SIGKILL runs no exit handler: the reservations stay behind, owned by a dead process.
      child.kill('SIGKILL');
      await once(child, 'exit');
      expect((await freePorts(2, { range })).sort()).toEqual(theirs.sort());
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('start failures', () => {
  it('should report a missing binary with its code', async () => {
    await expect(startRedis({ bin: '/nonexistent/redis-server' })).rejects.toMatchObject({
      code: 'binary_not_found',
    });
  });

  it('should report a process that exits, with the end of its log', async () => {
    const failing = startRedis({ bin: 'redis-server', port: 70_000 });
    await expect(failing).rejects.toBeInstanceOf(StartError);
    await expect(failing).rejects.toThrow(/redis exited with code 1[\s\S]*last lines of/);
  });

  it('should name the harness error code', () => {
    expect(new HarnessUnavailableError('consul', 'no binary')).toMatchObject({ code: 'harness_unavailable' });
  });
});
