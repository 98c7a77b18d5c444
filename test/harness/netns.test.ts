/**
 * @module
 * The network-namespace harness: a program started in a namespace answers over each of its
 * links; cutting one link stops exactly that link's traffic (dropped, not refused) while the
 * other still carries, healing restores it, a relay on a root-side address carries a link's
 * traffic to a service on 127.0.0.1, and removing the namespace leaves no namespace, link or
 * route behind. Skipped, saying why, only where namespaces cannot be made (not root, no `ip`).
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  createCleanup,
  createNetns,
  freePort,
  netnsUnavailable,
  startProgram,
  startTcpRelay,
  useCleanup,
} from '../support/index.ts';

const unavailable = netnsUnavailable();
const cleanup = useCleanup();

/** A tiny HTTP server naming itself, for the program run inside the namespace. */
const SERVE = `require('node:http').createServer((q, s) => s.end('inside')).listen(Number(process.argv[1]), '0.0.0.0')`;

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1500) });
  return res.text();
}

describe.skipIf(unavailable !== undefined)(
  `network namespaces${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('should carry each link alone, cut and heal one, relay to 127.0.0.1, and remove everything', async () => {
      const own = createCleanup();
      cleanup.add(own.run);
      const ns = await createNetns({ links: ['one', 'two'], cleanup: own });
      const { one, two } = ns.links;
      expect(one.rootAddress).not.toBe(two.rootAddress);
      const port = await freePort();
      await startProgram({
        name: 'netns-http',
        command: process.execPath,
        args: ['-e', SERVE, String(port)],
        netns: ns.name,
        ready: async () => (await get(`http://${one.nsAddress}:${port}/`)) === 'inside',
        cleanup: own,
      });
      expect(await get(`http://${two.nsAddress}:${port}/`)).toBe('inside');
      // Nothing inside listens on the root namespace's loopback.
      await expect(get(`http://127.0.0.1:${port}/`)).rejects.toThrow();

      await one.cut();
      expect(one.isCut).toBe(true);
      // Dropped, as on a real partition: the request times out instead of being refused.
      await expect(get(`http://${one.nsAddress}:${port}/`)).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(await get(`http://${two.nsAddress}:${port}/`)).toBe('inside');
      await one.heal();
      expect(await get(`http://${one.nsAddress}:${port}/`)).toBe('inside');

      // A relay on a root-side address reaches a server that listens on 127.0.0.1 only.
      const local = createServer((_q, s) => s.end('root'));
      await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
      own.add(() => new Promise((resolve) => local.close(resolve)));
      const target = { host: '127.0.0.1', port: (local.address() as AddressInfo).port };
      const relay = await startTcpRelay({ host: two.rootAddress, target, cleanup: own });
      expect(await get(`http://${two.rootAddress}:${relay.port}/`)).toBe('root');

      await own.run();
      const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      expect(namespaces.split('\n').some((l) => l.split(' ')[0] === ns.name)).toBe(false);
      const routes = execFileSync('ip', ['route', 'show', 'type', 'unreachable'], { encoding: 'utf8' });
      expect(routes).not.toContain(one.rootAddress.replace(/\.\d+$/, '.0/24'));
      const links = execFileSync('ip', ['-br', 'addr'], { encoding: 'utf8' });
      expect(links).not.toContain(one.rootAddress);
      expect(links).not.toContain(two.rootAddress);
    });
  },
);
