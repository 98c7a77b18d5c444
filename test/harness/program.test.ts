/**
 * @module
 * Harness self-test: an arbitrary program (as fault tests run `tankworld server`) under the
 * same kill/restart/stop lifecycle.
 */
import { describe, expect, it } from 'vitest';
import {
  freePort,
  livingProcesses,
  processTree,
  startProgram,
  useCleanup,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();

// A tiny HTTP server that says which process answered, and forks a child (as a server with
// workers would), so the test sees the whole group go.
const SERVER = `
  const { spawn } = require('node:child_process');
  spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
  require('node:http').createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT), '127.0.0.1');
`;

describe('startProgram', () => {
  it('should wait for readiness, survive kill and restart, and leave nothing after stop', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/health`;
    const program = await startProgram({
      name: 'fake-server',
      command: process.execPath,
      args: ['-e', SERVER],
      env: { PORT: String(port) },
      ready: async () => (await fetch(url)).ok,
      cleanup,
    });
    expect(await (await fetch(url)).text()).toBe(String(program.pid));

    const firstTree = processTree(program.pid!);
    await program.kill();
    expect(livingProcesses(firstTree)).toEqual([]);
    await expect(fetch(url)).rejects.toThrow();

    await program.restart();
    const answer = await waitFor(async () => (await fetch(url)).text(), { what: 'the restarted server' });
    expect(answer).toBe(String(program.pid));

    const tree = processTree(program.pid!);
    await Promise.all([program.stop(), program.stop()]);
    expect(livingProcesses(tree)).toEqual([]);
  });

  it('should report a program that never becomes ready, with its log', async () => {
    const failing = startProgram({
      name: 'never-ready',
      command: process.execPath,
      args: ['-e', 'console.log("listening nowhere"); setInterval(() => {}, 1000)'],
      ready: async () => false,
      startTimeout: 300,
    });
    await expect(failing).rejects.toMatchObject({ code: 'start_failed' });
    await expect(failing).rejects.toThrow(/timed out after 300 ms[\s\S]*listening nowhere/);
  });
});
