/**
 * @module
 * The README's Walkthrough, run for real: `tankworld dev` (what `npm start` runs) on a fresh data
 * folder, then every line of the section's ```sh blocks through bash, in order, with
 * `localhost:8080` pointed at this test's gateway. Each `curl` line must answer with the status
 * its `# NNN → …` line gives and carry every key that shape names; the steps listed below are
 * also checked for their key values. A README edit that breaks a line, or a shape the gateway no
 * longer answers with, fails here.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createCleanup, freePorts, startProgram, waitFor } from '../support/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One command line of the walkthrough and the answer its comment promises. */
interface Step {
  command: string;
  status?: number;
  shape?: string;
}

/** The ```sh blocks of the README's Walkthrough section, as steps. */
function walkthroughSteps(readme: string): Step[] {
  const start = readme.indexOf('\n## Walkthrough');
  if (start < 0) throw new Error('README.md has no Walkthrough section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const steps: Step[] = [];
  for (const [, block] of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block!.replace(/\\\n\s*/g, ' ').split('\n')) {
      const answer = /^# (?:(\d{3}) )?→ (.*)$/.exec(line);
      if (answer) {
        const step = steps.at(-1);
        if (!step || step.shape !== undefined) throw new Error(`an answer line without its command: ${line}`);
        step.status = answer[1] ? Number(answer[1]) : undefined;
        step.shape = answer[2];
      } else if (line.trim() !== '' && !line.startsWith('#')) steps.push({ command: line.trim() });
    }
  }
  return steps;
}

/** Splits a shape at its top-level ` … `: JSON documents and text fragments, in order. */
function fragments(shape: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let from = 0;
  for (let i = 0; i < shape.length; i++) {
    const ch = shape[i];
    if (ch === '"') inString = !inString;
    else if (!inString && (ch === '{' || ch === '[')) depth++;
    else if (!inString && (ch === '}' || ch === ']')) depth--;
    else if (!inString && depth === 0 && shape.startsWith(' … ', i)) {
      parts.push(shape.slice(from, i));
      from = i + 3;
    }
  }
  parts.push(shape.slice(from));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Every key path a JSON shape names (`tank.tank_id`, `entities.[].uid`), `…` aside. */
function keyPaths(shape: string): string[][] {
  const paths: string[][] = [];
  const stack: string[][] = [];
  let current: string[] = [];
  let pending: string | undefined;
  for (let i = 0; i < shape.length; i++) {
    const ch = shape[i];
    if (ch === '"') {
      const close = shape.indexOf('"', i + 1);
      const text = shape.slice(i + 1, close);
      i = close;
      // A string followed by a colon is a key; any other is a value (["server-1", …]).
      if (/^\s*:/.test(shape.slice(close + 1))) {
        pending = text;
        paths.push([...current, text]);
      }
    } else if (ch === '{' || ch === '[') {
      stack.push(current);
      if (pending !== undefined) current = [...current, pending];
      if (ch === '[') current = [...current, '[]'];
      pending = undefined;
    } else if (ch === '}' || ch === ']') {
      current = stack.pop() ?? [];
      pending = undefined;
    } else if (ch === ',') pending = undefined;
  }
  return paths;
}

function at(value: unknown, keys: string[]): unknown {
  let here = value;
  for (const key of keys) {
    if (key === '[]') {
      if (!Array.isArray(here) || here.length === 0) return undefined;
      here = here[0];
    } else if (here !== null && typeof here === 'object' && key in here) {
      here = (here as Record<string, unknown>)[key];
    } else return undefined;
  }
  return here;
}

/** Checks `output` against the shape: JSON fragments against its JSON lines, text in order. */
function expectShape(command: string, output: string, shape: string): Array<Record<string, unknown>> {
  const docs = output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  let doc = 0;
  let from = 0;
  for (const fragment of fragments(shape)) {
    if (fragment.startsWith('{')) {
      const actual = docs[doc++];
      expect(actual, `${command}: an answer like ${fragment}`).toBeDefined();
      for (const keys of keyPaths(fragment))
        expect(at(actual, keys), `${command}: ${keys.join('.')} in ${JSON.stringify(actual)}`).toBeDefined();
    } else {
      const found = output.indexOf(fragment, from);
      expect(found, `${command}: "${fragment}" in ${output.slice(0, 2000)}`).toBeGreaterThanOrEqual(0);
      from = found + fragment.length;
    }
  }
  return docs;
}

type Vars = Record<string, string>;
interface CheckContext {
  vars: Vars;
  /** Every JSON line of the answer (the first is `answer`). */
  docs: Array<Record<string, unknown>>;
  /** The ports dev gave its two tank servers. */
  serverPorts: number[];
}
type Check = (answer: Record<string, unknown>, ctx: CheckContext) => void;

/** Steps the walkthrough must keep, by `status METHOD path` (or `export NAME`), and what they show. */
const CHECKS: Record<string, Check> = {
  'export TOKEN': (_, { vars: v }) => expect(v.TOKEN).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
  'export TANK': (_, { vars: v }) => expect(v.TANK).toMatch(UUID),
  '200 GET /gateway/tanks/$TANK': (a, { vars: v, serverPorts }) => {
    expect(a).toMatchObject({ tank: { tank_id: v.TANK, owner: 'alice' } });
    const { port } = a.server as { port: number };
    expect(serverPorts).toContain(port);
    expect(a.websocket_url).toBe(`ws://127.0.0.1:${port}/ws/${v.TANK}`);
  },
  '401 GET /gateway/tanks/$TANK': (a) => expect(a).toMatchObject({ status: 401, code: 'invalid_token' }),
  '200 GET /api/tanks': (a, { vars: v }) =>
    expect(a.tanks).toContainEqual(
      expect.objectContaining({ tank: expect.objectContaining({ tank_id: v.TANK }), available: true }),
    ),
  'export NEW': (_, { vars: v }) => expect(v.NEW).toMatch(UUID),
  '200 GET /gateway/tanks/$NEW': (a, { vars: v }) =>
    expect(a).toMatchObject({ tank: { tank_id: v.NEW, name: 'My tank', seed: 7 } }),
  '200 GET /api/tanks/$NEW/stats': (a) => expect(a.fish_count).toBeGreaterThan(0),
  '200 GET /api/tanks/$NEW/entities': (a) =>
    expect((a.entities as Array<{ kind: string }>).every((e) => e.kind === 'fish')).toBe(true),
  '201 POST /api/tanks/$NEW/fish': (a, { vars: v }) =>
    expect(a).toMatchObject({ tank_id: v.NEW, uid: expect.any(String) }),
  '201 POST /api/tanks/$NEW/food': (a) => expect(a.ids).toHaveLength(5),
  '200 POST /api/tanks/$NEW/pause': (a) => expect(a).toMatchObject({ status: 'paused', paused: true }),
  '200 POST /api/tanks/$NEW/resume': (a) => expect(a).toMatchObject({ status: 'running', paused: false }),
  '200 POST /api/tanks/$NEW/permissions': (a) =>
    expect(a).toMatchObject({ user_id: 'bob', permission: 'read' }),
  '200 GET /api/tanks/$NEW/permissions': (a) =>
    expect(a.permissions).toContainEqual(expect.objectContaining({ user_id: 'bob', permission: 'read' })),
  '200 DELETE /api/tanks/$NEW/permissions/bob': (a) =>
    expect(a).toMatchObject({ user_id: 'bob', revoked: true }),
  '200 GET /api/servers': (a) =>
    expect(
      (a.servers as Array<{ server_id: string; status: string }>).map((s) => [s.server_id, s.status]),
    ).toEqual([
      ['server-1', 'online'],
      ['server-2', 'online'],
    ]),
  'export FISH': (_, { vars: v }) => expect(v.FISH).toMatch(/^\d+$/),
  '200 POST /gateway/transfer': (a, { vars: v }) => {
    expect(a).toMatchObject({ success: true, old_id: Number(v.FISH) });
    v.FIRST_TRANSFER = a.transfer_id as string;
  },
  // The retry with the same Idempotency-Key names the first transfer: no second fish moved.
  'export TRANSFER': (_, { vars: v }) => expect(v.TRANSFER).toBe(v.FIRST_TRANSFER),
  '200 GET /api/transfers/$TRANSFER': (a, { vars: v }) =>
    expect(a).toMatchObject({
      transfer_id: v.TRANSFER,
      status: 'committed',
      idempotency_key: 'walkthrough-1',
    }),
  '200 GET /api/audit': (a) => expect(a).toMatchObject({ ok: true, duplicated: [], in_flight: [] }),
  '200 GET /health': (a) => expect(a).toMatchObject({ status: 'healthy', servers: { passing: 2 } }),
  '200 GET /metrics': (_, { docs }) => expect(docs).toEqual([]),
  'export WS': (_, { vars: v }) => expect(v.WS).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\//),
  'node ws': (_, { vars: v, docs }) => {
    expect(docs).toHaveLength(3);
    expect(docs[0]).toMatchObject({ type: 'hello', tank_id: v.TANK, format: 'json' });
    expect(docs[2]!.frame as number).toBeGreaterThan(docs[1]!.frame as number);
  },
  // Checked once the walkthrough is done: the stream must have shown the tank it created.
  events: () => {},
};

/** `METHOD /path` of a curl line, variables left as written. */
function route(command: string): string {
  const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET';
  const url = /localhost:8080(\/[^\s"?]*)/.exec(command)?.[1] ?? '?';
  return `${method} ${url}`;
}

describe('the README walkthrough against npm start', () => {
  it('should answer every curl line of the Walkthrough as the README shows', async ({ onTestFinished }) => {
    const cleanup = createCleanup();
    onTestFinished(cleanup.run);
    const steps = walkthroughSteps(await readFile(path.join(ROOT, 'README.md'), 'utf8'));
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tankworld-walk-'));
    cleanup.add(() => rm(dataDir, { recursive: true, force: true }));
    const [gatewayPort] = await freePorts(1);
    const gateway = `127.0.0.1:${gatewayPort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // This very Node first on PATH, for `node -e` and bin/tankworld alike.
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
      TANKWORLD_DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      JWT_SECRET: '',
      INTERNAL_SECRET: '',
      LOG_LEVEL: 'warn',
    };
    const dev = await startProgram({
      name: 'tankworld-dev-walkthrough',
      command: process.execPath,
      args: [path.join(ROOT, 'src/cli.ts'), 'dev', '--port', '0', '--gateway-port', String(gatewayPort)],
      cwd: ROOT,
      env: env as Record<string, string>,
      ready: async () => (await fetch(`http://${gateway}/health`)).ok,
      startTimeout: 60_000,
      cleanup,
    });
    // The default tank is made after the gateway is up; dev prints its welcome once it exists.
    const welcome = await waitFor(
      async () => {
        const log = await readFile(dev.logFile, 'utf8');
        return log.includes('export TOKEN=') ? log : undefined;
      },
      { what: 'the welcome with the default tank', timeout: 30_000 },
    );
    // `--port 0` lets each tank server take a free port; the welcome names them.
    const serverPorts = [...welcome.matchAll(/tank server: http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(serverPorts).toHaveLength(2);
    const vars: Vars = {};
    const seen = new Set<string>();
    let events: { child: ChildProcess; output: string } | undefined;

    for (const step of steps) {
      const command = step.command.replaceAll('localhost:8080', gateway);
      const shellEnv = { ...env, ...vars };
      const exported = /^export (\w+)=/.exec(step.command)?.[1];
      if (exported) {
        const { stdout } = await run(
          'bash',
          ['-o', 'pipefail', '-c', `${command}; printf %s "$${exported}"`],
          {
            cwd: ROOT,
            env: shellEnv,
            timeout: 30_000,
          },
        );
        expect(stdout, step.command).not.toMatch(/^(|null)$/);
        vars[exported] = stdout;
        seen.add(`export ${exported}`);
        CHECKS[`export ${exported}`]?.({}, { vars, docs: [], serverPorts });
        continue;
      }
      expect(step.shape, `${step.command}: every line shows its answer (# NNN → …)`).toBeDefined();
      if (/^curl -s?N /.test(step.command)) {
        // The event stream runs on beside the next steps, as in its own terminal.
        const child = spawn('bash', ['-c', `exec ${command}`], { cwd: ROOT, env: shellEnv });
        const stream = { child, output: '' };
        child.stdout.on('data', (d: Buffer) => {
          stream.output += d.toString('utf8');
        });
        cleanup.add(() => child.kill('SIGTERM'));
        events = stream;
        await waitFor(() => stream.output.includes(': connected'), { what: 'the event stream connected' });
        seen.add('events');
        continue;
      }
      if (step.command.startsWith('curl ')) {
        const withStatus = command.replace(/^curl /, `curl -w '\\n%{http_code}' `);
        const { stdout } = await run('bash', ['-c', withStatus], {
          cwd: ROOT,
          env: shellEnv,
          timeout: 30_000,
        });
        const cut = stdout.lastIndexOf('\n');
        const body = stdout.slice(0, cut);
        expect(Number(stdout.slice(cut + 1)), `${step.command}\n${body.slice(0, 500)}`).toBe(step.status);
        const docs = expectShape(step.command, body, step.shape!);
        const key = `${step.status} ${route(step.command)}`;
        seen.add(key);
        CHECKS[key]?.(docs[0] ?? {}, { vars, docs, serverPorts });
        continue;
      }
      const { stdout } = await run('bash', ['-c', command], { cwd: ROOT, env: shellEnv, timeout: 30_000 });
      const docs = expectShape(step.command, stdout, step.shape!);
      if (step.command.startsWith('node ') && step.command.includes('ws')) {
        seen.add('node ws');
        CHECKS['node ws']!(docs[0] ?? {}, { vars, docs, serverPorts });
      }
    }

    // The stream saw the tank the walkthrough created, with the shape its line shows.
    const stream = events!;
    const eventsStep = steps.find((s) => /^curl -s?N /.test(s.command))!;
    await waitFor(() => stream.output.includes(`"tank_id":"${vars.NEW}"`), {
      what: 'tank_created on the stream',
    });
    expectShape(eventsStep.command, stream.output, eventsStep.shape!);
    expect(stream.output).toContain(
      `event: tank_created\ndata: {"type":"tank_created","tank_id":"${vars.NEW}"`,
    );

    const missing = Object.keys(CHECKS).filter((k) => !seen.has(k));
    expect(missing, 'steps the walkthrough must keep').toEqual([]);
  });
});
