/**
 * @module
 * Network namespaces for partition tests: a namespace of the test's own, joined to the root
 * namespace by separate veth pairs (one per kind of traffic), each on a /30 of its own, so a
 * test can cut one link (`ip link set … down` on the namespace side) and heal it again. The
 * addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544), one /24 block per
 * namespace; the block is claimed by creating the namespace `twn-<block>`, which fails if it
 * exists, so test files running at once (in any worktree on the machine) never share one. An
 * `unreachable` route for the block keeps traffic to a cut or removed link from leaving by the
 * default route: the only traffic is between the namespaces the test made. A run killed before
 * its cleanup leaves its `twn-<block>` behind (its processes die with it, by the parent-death
 * signal); later runs skip that block, and `ip netns del twn-<block>` frees it.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { Cleanup } from './cleanup.ts';

const run = promisify(execFile);

/** 512 /24 blocks in 198.18.0.0/15. */
const BLOCKS = 512;
/** Up to 64 /30 links in a /24. */
const MAX_LINKS = 64;

/**
 * Why network namespaces cannot be made here (not root, no `ip`), or undefined when they can.
 * Tests skip only for this reason; any other failure to set one up fails the test.
 *
 * @example
 * ```ts
 * const reason = netnsUnavailable();
 * describe.skipIf(reason !== undefined)(`partition${reason ? ` (skipped: ${reason})` : ''}`, () => {});
 * ```
 */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .concat('/usr/sbin', '/sbin')
    .some((dir) => {
      try {
        accessSync(join(dir, 'ip'), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return found ? undefined : 'the ip command (iproute2) is not installed';
}

/** One veth pair between the root namespace and the test's namespace. */
export interface NetnsLink {
  /** What it carries, e.g. `consul`, `postgres`, `viewers`. */
  readonly name: string;
  /** The root-side address: where a process in the namespace reaches the root namespace. */
  readonly rootAddress: string;
  /** The namespace-side address: where the root namespace reaches the process inside. */
  readonly nsAddress: string;
  /** True between {@link cut} and {@link heal}. */
  readonly isCut: boolean;
  /** Takes the namespace side down: packets either way are dropped, nothing is refused. */
  cut(): Promise<void>;
  heal(): Promise<void>;
}

/** A network namespace of the test's own; see {@link createNetns}. */
export interface Netns {
  /** The namespace name, for `ip netns exec` (startProgram's `netns` option). */
  readonly name: string;
  /** The links by the names given at creation. */
  readonly links: Readonly<Record<string, NetnsLink>>;
  /** Deletes the namespace, its links and the block's route. Safe to call twice. */
  remove(): Promise<void>;
}

export interface NetnsOptions<L extends string> {
  /** One veth pair per name, in this order. */
  links: readonly L[];
  /** Registers `remove()`: the namespace goes even when the test fails half-way. */
  cleanup?: Cleanup;
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (err as Error).message}`, { cause: err });
  }
}

/** Creates `twn-<block>` for the first free block from a random start; the block it claimed. */
async function claimBlock(): Promise<number> {
  const start = randomInt(BLOCKS);
  for (let i = 0; i < BLOCKS; i++) {
    const block = (start + i) % BLOCKS;
    try {
      await ip('netns', 'add', `twn-${block}`);
      return block;
    } catch (err) {
      // Another test (or a run killed before its cleanup) holds this block: try the next one.
      if (/exists/i.test((err as Error).message)) continue;
      throw err;
    }
  }
  throw new Error(`no free network namespace block: all ${BLOCKS} twn-* namespaces exist`);
}

/**
 * Makes a namespace with one veth pair per name in `links`, `lo` up in it.
 *
 * @example
 * ```ts
 * const ns = await createNetns({ links: ['consul', 'postgres', 'viewers'], cleanup });
 * await startTankworld({ role: 'server', id: 'island', port, env, netns: { name: ns.name,
 *   host: ns.links.viewers.nsAddress }, cleanup });
 * await ns.links.postgres.cut();
 * ```
 */
export async function createNetns<L extends string>({
  links,
  cleanup,
}: NetnsOptions<L>): Promise<Netns & { links: Record<L, NetnsLink> }> {
  if (links.length > MAX_LINKS) throw new Error(`at most ${MAX_LINKS} links in a namespace`);
  const block = await claimBlock();
  const name = `twn-${block}`;
  const prefix = `198.${18 + (block >> 8)}.${block & 255}`;
  const route = `${prefix}.0/24`;
  let removed: Promise<void> | undefined;
  const rootDevs: string[] = [];
  const remove = () => {
    removed ??= (async () => {
      const errors: unknown[] = [];
      // Each veth is deleted from its root side first: that takes both ends at once. Deleting
      // the namespace would take them too, but later (the kernel frees a namespace in the
      // background), so a check right after cleanup could still see the root-side end.
      const steps = [
        ...rootDevs.map((dev) => () => ip('link', 'del', dev)),
        () => ip('netns', 'del', name),
        () => ip('route', 'del', 'unreachable', route),
      ];
      for (const step of steps)
        await step().catch((err: Error) => {
          if (!/No such|Cannot find|No such process/i.test(err.message)) errors.push(err);
        });
      if (errors.length > 0) throw new AggregateError(errors, `removing namespace ${name} failed`);
    })();
    return removed;
  };
  cleanup?.add(remove);
  try {
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    await ip('route', 'add', 'unreachable', route);
    const made = {} as Record<L, NetnsLink>;
    for (const [i, linkName] of links.entries()) {
      // Known before it exists: a failure half-way through adding it is cleaned up too.
      rootDevs.push(rootDevOf(block, i));
      made[linkName] = await addLink({ name, block, prefix, i, linkName });
    }
    return { name, links: made, remove };
  } catch (err) {
    if (!cleanup) await remove().catch(() => {});
    throw err;
  }
}

/** The root-side end of a namespace's link `i`. */
function rootDevOf(block: number, i: number): string {
  return `twn${block}r${i}`;
}

async function addLink({
  name,
  block,
  prefix,
  i,
  linkName,
}: {
  name: string;
  block: number;
  prefix: string;
  i: number;
  linkName: string;
}): Promise<NetnsLink> {
  const rootDev = rootDevOf(block, i);
  const nsDev = `twn${block}n${i}`;
  const rootAddress = `${prefix}.${4 * i + 1}`;
  const nsAddress = `${prefix}.${4 * i + 2}`;
  await ip('link', 'add', rootDev, 'type', 'veth', 'peer', 'name', nsDev, 'netns', name);
  await ip('addr', 'add', `${rootAddress}/30`, 'dev', rootDev);
  await ip('link', 'set', rootDev, 'up');
  await ip('-n', name, 'addr', 'add', `${nsAddress}/30`, 'dev', nsDev);
  await ip('-n', name, 'link', 'set', nsDev, 'up');
  let isCut = false;
  return {
    name: linkName,
    rootAddress,
    nsAddress,
    get isCut() {
      return isCut;
    },
    async cut() {
      await ip('-n', name, 'link', 'set', nsDev, 'down');
      isCut = true;
    },
    async heal() {
      await ip('-n', name, 'link', 'set', nsDev, 'up');
      isCut = false;
    },
  };
}
