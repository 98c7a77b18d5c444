/**
 * @module
 * The alert and recording rules under `promtool`: they parse, their unit tests
 * (`prometheus/tests/tankworld.test.yml`) pass, and those tests do catch a changed rule (a copy
 * with the abort-ratio threshold moved fails them). The configuration `tankworld mesh up` writes
 * passes `promtool check config`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, PROMETHEUS_RULES, prometheusConfig, resolveBinaries } from '../../src/mesh/index.ts';
import { useCleanup } from '../support/index.ts';

const cleanup = useCleanup();
const run = promisify(execFile);
const PROMETHEUS = resolveBinaries({ env: process.env }).prometheus;
/** `promtool` comes with `prometheus`: beside it, or on PATH with it. */
const PROMTOOL = PROMETHEUS.includes('/') ? path.join(path.dirname(PROMETHEUS), 'promtool') : 'promtool';
const TESTS = path.join(PROJECT_ROOT, 'prometheus', 'tests', 'tankworld.test.yml');

/** promtool's exit status and output (it exits 1 on a failed test, which is an answer here). */
async function promtoolRun(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args);
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-promtool-'));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('Prometheus rules', () => {
  it('should parse, and pass their promtool unit tests', async () => {
    const check = await promtoolRun('check', 'rules', PROMETHEUS_RULES);
    expect(check.output).toContain('SUCCESS: 15 rules found');
    expect(check.code).toBe(0);
    const tested = await promtoolRun('test', 'rules', TESTS);
    expect(tested.output).toContain('SUCCESS');
    expect(tested.code).toBe(0);
  });

  it('should fail the unit tests when an alert threshold changes', async () => {
    const dir = await scratch();
    await mkdir(path.join(dir, 'rules'));
    await mkdir(path.join(dir, 'tests'));
    const rules = await readFile(PROMETHEUS_RULES, 'utf8');
    const moved = rules.replace(
      '/ sum(rate(tankworld_transfers_total[5m])) > 0.2',
      '/ sum(rate(tankworld_transfers_total[5m])) > 0.4',
    );
    expect(moved).not.toBe(rules);
    await writeFile(path.join(dir, 'rules', 'tankworld.yml'), moved);
    await copyFile(TESTS, path.join(dir, 'tests', 'tankworld.test.yml'));
    const tested = await promtoolRun('test', 'rules', path.join(dir, 'tests', 'tankworld.test.yml'));
    expect(tested.code).toBe(1);
    expect(tested.output).toContain('alertname: TransferAbortRatioHigh');
  });

  it('should write a configuration promtool accepts', async () => {
    const dir = await scratch();
    const file = path.join(dir, 'prometheus.yml');
    await writeFile(
      file,
      prometheusConfig({
        targetsUrl: 'http://127.0.0.1:8080/internal/prometheus/targets',
        rules: [PROMETHEUS_RULES],
      }),
    );
    const check = await promtoolRun('check', 'config', file);
    expect(check.output).toContain('SUCCESS');
    expect(check.code).toBe(0);
  });
});
