/**
 * @module
 * The gateway's WebSocket relay (`/ws/<tank_id>` on the gateway, option B) in front of real
 * tank servers on real sockets: the stream is the server's own, byte for byte, both ways; the
 * token rules are a server's (and the session cookie from the gateway's own origin); hostile
 * frames get a close code and leave the gateway serving; `GET /api/tanks/{id}/server` answers
 * the seed's shape.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenMinter, mintToken } from '../../src/auth/index.ts';
import { upgradeAndSend } from '../server/raw-ws.ts';
import { opened, openViewer, type TestViewer } from '../server/viewer.ts';
import { useCleanup, waitFor } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
let publicTank: string;
let privateTank: string;

interface Created {
  tank: { tank_id: string };
  websocket_url: string;
}

beforeAll(async () => {
  stack = await startGatewayStack({ cleanup });
  const make = async (name: string, isPublic: boolean) =>
    stack.json<Created>('/api/tanks', 201, {
      method: 'POST',
      user: 'alice',
      body: { name, is_public: isPublic },
    });
  publicTank = (await make('Open reef', true)).tank.tank_id;
  privateTank = (await make('Alice only', false)).tank.tank_id;
}, 60_000);

const token = (user: string) => mintToken({ secret: SECRET, userId: user });
const relayUrl = (tankId: string, query = '') =>
  `${stack.gateway.url.replace(/^http/, 'ws')}/ws/${tankId}${query}`;

function watch(url: string): TestViewer {
  const viewer = openViewer(url);
  cleanup.add(() => viewer.ws.terminate());
  return viewer;
}

/** True when `relayed` (from its second frame on) is a run of `direct`'s frames, byte for byte. */
function sameRun(direct: Uint8Array[], relayed: Uint8Array[], length: number): boolean {
  const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  const start = direct.findIndex((f) => eq(f, relayed[1]!));
  if (start < 0) return false;
  for (let k = 0; k < length; k++) if (!eq(direct[start + k]!, relayed[1 + k]!)) return false;
  return true;
}

describe('the WebSocket relay', () => {
  it("should pass the server's binary frames on byte for byte", async () => {
    const t = await token('bob');
    const { websocket_url } = await stack.json<Created>(`/gateway/tanks/${publicTank}`, 200, { user: 'bob' });
    const direct = watch(`${websocket_url}?token=${t}`);
    await opened(direct);
    const relayed = watch(relayUrl(publicTank, `?token=${t}`));
    await waitFor(() => relayed.frames.length >= 25 && direct.frames.length >= 40, {
      what: 'frames on both sockets',
      timeout: 20_000,
    });
    expect(relayed.texts[0]).toMatchObject({ type: 'hello', tank_id: publicTank, level: 'read' });
    // Every delta after the relayed viewer's first keyframe is the very frame the direct one got.
    expect(sameRun(direct.frames, relayed.frames, 20)).toBe(true);
  });

  it("should relay the JSON format and the client's messages both ways", async () => {
    const relayed = watch(relayUrl(publicTank, `?format=json&token=${await token('alice')}`));
    const hello = await relayed.nextText((m) => m.type === 'hello', 'hello');
    expect(hello).toMatchObject({ format: 'json', level: 'admin' });
    relayed.send({ type: 'ping', id: 'p-1' });
    expect(await relayed.nextText((m) => m.type === 'pong', 'pong')).toMatchObject({ id: 'p-1' });
    relayed.send({ type: 'spawn_food', count: 2 });
    await relayed.nextText((m) => m.type === 'ack' && m.command === 'spawn_food', 'ack');
    // A reader's command is refused by the server itself, and the refusal comes back through.
    const reader = watch(relayUrl(publicTank, `?format=json&token=${await token('bob')}`));
    await reader.nextText((m) => m.type === 'hello', 'hello');
    reader.send({ type: 'spawn_food', count: 2 });
    expect(await reader.nextText((m) => m.type === 'error', 'refusal')).toMatchObject({ type: 'error' });
    expect(reader.ws.readyState).toBe(reader.ws.OPEN);
  });

  it("should apply a server's token rules: 4401 without a valid token, 4404 for what the caller may not read", async () => {
    const closeOf = async (url: string, headers?: Record<string, string>) => {
      const viewer = openViewer(url);
      if (headers) viewer.ws.close();
      return (await viewer.closed).code;
    };
    expect(await closeOf(relayUrl(publicTank))).toBe(4401);
    expect(await closeOf(relayUrl(publicTank, '?token=not.a.jwt'))).toBe(4401);
    const bob = await token('bob');
    expect(await closeOf(relayUrl(privateTank, `?token=${bob}`))).toBe(4404);
    expect(await closeOf(relayUrl('00000000-0000-4000-8000-000000000000', `?token=${bob}`))).toBe(4404);
    expect(await closeOf(relayUrl('%E0%A4%A', `?token=${bob}`))).toBe(4404);
    expect(await closeOf(relayUrl('', `?token=${bob}`))).toBe(4404);
    const owner = watch(relayUrl(privateTank, `?token=${await token('alice')}`));
    await waitFor(() => owner.frames.length > 0, { what: "the owner's frames" });
  });

  it('should let a guest (no credential at all) watch public tanks only, where the gateway can mint', async () => {
    // The fixture's gateway has no minter (as with JWKS_URL): no guests, 4401 as above.
    const minting = await stack.addGateway('gateway-minting', {
      tokenMinter: createTokenMinter({ secret: SECRET }),
    });
    const base = minting.url.replace(/^http/, 'ws');
    const guest = watch(`${base}/ws/${publicTank}?format=json`);
    expect(await guest.nextText((m) => m.type === 'hello', 'hello')).toMatchObject({ level: 'read' });
    expect((await openViewer(`${base}/ws/${privateTank}`).closed).code).toBe(4404);
    // A bad credential is not a guest's: refused.
    expect((await openViewer(`${base}/ws/${publicTank}?token=forged`).closed).code).toBe(4401);
  });

  it("should take the session cookie from the gateway's own origin only", async () => {
    const cookie = `tankworld_session=${await token('alice')}`;
    const host = new URL(stack.gateway.url).host;
    const own = new (await import('ws')).default(relayUrl(privateTank), {
      headers: { cookie, origin: `http://${host}` },
    });
    const frames: unknown[] = [];
    own.on('message', (d) => frames.push(d));
    cleanup.add(() => own.terminate());
    await waitFor(() => frames.length > 1, { what: 'frames over the cookie' });
    const foreign = new (await import('ws')).default(relayUrl(privateTank), {
      headers: { cookie, origin: 'https://evil.example' },
    });
    foreign.on('error', () => {});
    const code = await new Promise<number>((resolve) => foreign.on('close', (c) => resolve(c)));
    expect(code).toBe(4401);
  });

  it('should answer hostile frames with a close code and keep serving', async () => {
    const url = relayUrl(publicTank, `?token=${await token('bob')}`);
    // Not UTF-8, before and after admission; larger than a server takes.
    expect((await upgradeAndSend(url, Buffer.from([0xff, 0xfe, 0xfd]))).closeCode).toBe(1007);
    expect((await upgradeAndSend(url, Buffer.from('x'.repeat(20_000)))).closeCode).toBe(1009);
    // More than may wait for the upstream (1008 at the relay), or, if the upstream opened in
    // between, text that is no message (4400 from the server, passed on): a close code either way.
    const many = Array.from({ length: 8 }, () => Buffer.from('y'.repeat(12_000)));
    expect([1008, 4400]).toContain((await upgradeAndSend(url, many)).closeCode);
    // Garbage the server can parse as a frame: the server's own answer comes back, the socket stays.
    const viewer = watch(`${url}&format=json`);
    await viewer.nextText((m) => m.type === 'hello', 'hello');
    viewer.send('{"type":');
    viewer.send('[1,2,3]');
    viewer.ws.send(Buffer.from([0, 1, 2, 3]));
    await waitFor(
      () => viewer.texts.filter((m) => m.type === 'error').length >= 2 || viewer.ws.readyState > 1,
      {
        what: "the server's answers",
      },
    );
    const res = await fetch(`${stack.gateway.url}/health`);
    expect(res.status).toBe(200);
    const after = watch(url);
    await waitFor(() => after.frames.length > 0, { what: 'a new viewer still served' });
  });

  it("should answer GET /api/tanks/{id}/server in the seed's shape", async () => {
    const server = await stack.json<Record<string, unknown>>(`/api/tanks/${publicTank}/server`, 200, {
      user: 'bob',
    });
    const direct = stack.servers[0]!.server;
    expect(server).toMatchObject({ server_id: 'server-1', host: '127.0.0.1', port: direct.port });
    expect(server.websocket_url).toBe(`${direct.wsUrl}/ws/${publicTank}`);
    expect(server.relay_url).toBe(relayUrl(publicTank));
    await stack.json(`/api/tanks/${privateTank}/server`, 404, { user: 'bob' });
    // A guest (no credential) reads a public tank's server, and is told a private one does not exist.
    await stack.json(`/api/tanks/${publicTank}/server`, 200, {});
    await stack.json(`/api/tanks/${privateTank}/server`, 404, {});
  });
});
