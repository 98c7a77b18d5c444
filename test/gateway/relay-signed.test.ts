/**
 * @module
 * The relay's upstream upgrades carry the gateway's internal signature: behind a gateway, more
 * viewers than the tank server's `WS_MAX_PER_ADDRESS` watch one tank (the server counts them per
 * user, not against the gateway's one address), while a client reaching that server straight
 * is still held to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../../src/auth/index.ts';
import { createLimits, createMemoryLimitBackend, NO_LIMITS } from '../../src/limits/index.ts';
import { openViewer, type TestViewer } from '../server/viewer.ts';
import { useCleanup } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let tankId: string;
let websocketUrl: string;
const PER_ADDRESS = 2;

beforeAll(async () => {
  stack = await startGatewayStack({
    cleanup,
    serverLimits: createLimits({
      backend: createMemoryLimitBackend(),
      config: { ...NO_LIMITS, wsPerAddress: PER_ADDRESS },
      scope: 'server',
    }),
    // A refused upstream is retried this long before the viewer is closed 1013.
    gateway: { relay: { followMs: 3000 } },
  });
  const created = await stack.json<{ tank: { tank_id: string }; websocket_url: string }>('/api/tanks', 201, {
    method: 'POST',
    user: 'alice',
    body: { name: 'Crowded reef', is_public: true },
  });
  tankId = created.tank.tank_id;
  websocketUrl = created.websocket_url;
}, 60_000);

function watch(url: string): TestViewer {
  const viewer = openViewer(url);
  cleanup.add(() => viewer.ws.terminate());
  return viewer;
}

describe('relayed viewers and the tank server’s address limit', () => {
  it('should let more viewers than WS_MAX_PER_ADDRESS watch through one gateway', async () => {
    const base = `${stack.gateway.url.replace(/^http/, 'ws')}/ws/${tankId}?format=json`;
    const viewers: TestViewer[] = [];
    for (let i = 0; i < 3 * PER_ADDRESS; i++)
      viewers.push(watch(`${base}&token=${await mintToken({ secret: SECRET, userId: `viewer-${i}` })}`));
    const hellos = await Promise.all(
      viewers.map((v, i) =>
        Promise.race([
          v.nextText((m) => m.type === 'hello', `viewer ${i}'s hello`),
          v.closed.then((c) => ({ type: 'closed', code: c.code })),
        ]),
      ),
    );
    expect(hellos).toEqual(viewers.map(() => expect.objectContaining({ type: 'hello', tank_id: tankId })));
    // Straight to the server, the same address is still held to its limit: the relayed sockets
    // took none of it, so two are admitted and the third is refused before the upgrade.
    const direct = async (user: string) => {
      const token = await mintToken({ secret: SECRET, userId: user });
      const ws = new WebSocket(`${websocketUrl}?token=${token}`);
      cleanup.add(() => ws.terminate());
      return new Promise<string>((resolve) => {
        ws.on('error', () => {});
        ws.on('open', () => resolve('open'));
        ws.on('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
      });
    };
    expect(await direct('direct-1')).toBe('open');
    expect(await direct('direct-2')).toBe('open');
    expect(await direct('direct-3')).toBe('http 429');
  });

  // Last: it stops the tank's server.
  it('should close a viewer 1013 as soon as following gives up, not at the close handshake timeout', async () => {
    const token = await mintToken({ secret: SECRET, userId: 'patient' });
    const viewer = watch(
      `${stack.gateway.url.replace(/^http/, 'ws')}/ws/${tankId}?format=json&token=${token}`,
    );
    await viewer.nextText((m) => m.type === 'hello', 'the hello');
    // The tank's only server stops (1001, and it leaves discovery): the relay follows for
    // `followMs` (3 s), finds nowhere to go and closes. Before the fix the client socket was still paused by the follow, never read
    // the viewer's answer to the close, and the viewer saw it only after ws's 30 s timeout.
    await stack.servers[0]!.server.stop();
    const closed = await Promise.race([viewer.closed, sleep(20_000, undefined, { ref: false })]);
    expect(closed?.code).toBe(1013);
  }, 40_000);
});
