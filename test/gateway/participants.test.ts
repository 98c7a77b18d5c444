/**
 * @module
 * The coordinator's participant calls (`createParticipants`) against fake tank servers that
 * record each HTTP request: steps asked for at the same moment and bound for one server go out
 * as one signed `POST /internal/transfers/steps`, each caller gets its own step's answer (a
 * body, or the server's problem as an ApiError), and a server that cannot be reached or
 * answers the whole call badly fails every step of it as `unavailable` or as that problem.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createParticipants, isUnreachable } from '../../src/coordinator/index.ts';
import { ApiError, createNodeFetch } from '../../src/http/index.ts';
import { createServerClient } from '../../src/server-client/index.ts';
import { useCleanup } from '../support/index.ts';

const cleanup = useCleanup();

interface Step {
  transfer_id: string;
  step: string;
  body: Record<string, unknown>;
}

interface Recorded {
  method: string;
  url: string;
  signed: boolean;
  steps?: Step[];
}

type Reply = { status: number; body: unknown };

/** A fake tank server: records every request and answers each step with `answer(step)`. */
/** `whole` answers the whole request instead, when it returns a reply. */
async function fakeServer(answer: (step: Step) => Reply, whole?: (steps: Step[]) => Reply | undefined) {
  const requests: Recorded[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const steps = text ? (JSON.parse(text) as { steps: Step[] }).steps : undefined;
    requests.push({
      method: req.method!,
      url: req.url!,
      signed: typeof req.headers['x-tw-signature'] === 'string',
      steps,
    });
    const reply = whole?.(steps ?? []) ?? { status: 200, body: { results: steps?.map(answer) } };
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.add(async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { server, requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Participants whose servers are the given base URLs, over the gateway's node:http fetch. */
function participantsFor(urls: Record<string, string>) {
  const fetch = cleanup.add(createNodeFetch());
  const client = createServerClient({
    secret: 'participants-test-secret-0123456789',
    resolveServer: (id) => (urls[id] ? { baseUrl: urls[id] } : undefined),
    fetch,
  });
  return createParticipants({ client, timeoutMs: 2000 });
}

const problem = (status: number, code: string, detail: string) => ({
  status,
  body: { type: `/problems/${code}`, title: 'x', status, detail, code },
});

/** What a rejected call was rejected with, as plain values. */
async function rejection(p: Promise<unknown>) {
  const err = await p.then(
    () => expect.unreachable('the call should have failed'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  const { code, status } = err as ApiError;
  return { code, status, detail: (err as Error).message, unreachable: isUnreachable(err) };
}

describe('createParticipants', () => {
  it('should send concurrent steps for one server as one signed request and give each caller its answer', async () => {
    const a = await fakeServer((s) => {
      if (s.transfer_id === 't-404') return problem(404, 'unknown_entity', 'no fish 7 in tank A');
      if (s.transfer_id === 't-409') return problem(409, 'tank_full', 'the tank holds its maximum');
      if (s.transfer_id === 't-500') return problem(500, 'internal', 'an unexpected error occurred');
      return { status: 200, body: { echo: s } };
    });
    const b = await fakeServer((s) => ({ status: 200, body: { on: 'b', transfer_id: s.transfer_id } }));
    const participants = participantsFor({ 'server-a': a.url, 'server-b': b.url });

    const calls = [
      participants.prepareSource('server-a', 't-1', { tank_id: 'tank-a', entity_id: 3 }),
      participants.prepareDest('server-a', 't-2', { tank_id: 'tank-a', payload: { kind: 'fish' } }),
      participants.commitDest('server-a', 't-3', { tank_id: 'tank-a', entity_uid: 'u.1' }),
      participants.commitSource('server-a', 't-4'),
      participants.abort('server-a', 't-5'),
      participants.prepareSource('server-a', 't-404', { tank_id: 'tank-a', entity_id: 7 }),
      participants.prepareDest('server-a', 't-409', { tank_id: 'tank-a', payload: {} }),
      participants.commitSource('server-a', 't-500'),
      participants.abort('server-b', 't-6'),
      participants.commitSource('server-b', 't-7'),
    ];
    const settled = await Promise.allSettled(calls);

    const sent: Step[] = [
      { transfer_id: 't-1', step: 'prepare-source', body: { tank_id: 'tank-a', entity_id: 3 } },
      { transfer_id: 't-2', step: 'prepare-dest', body: { tank_id: 'tank-a', payload: { kind: 'fish' } } },
      { transfer_id: 't-3', step: 'commit-dest', body: { tank_id: 'tank-a', entity_uid: 'u.1' } },
      { transfer_id: 't-4', step: 'commit-source', body: {} },
      { transfer_id: 't-5', step: 'abort', body: {} },
      { transfer_id: 't-404', step: 'prepare-source', body: { tank_id: 'tank-a', entity_id: 7 } },
      { transfer_id: 't-409', step: 'prepare-dest', body: { tank_id: 'tank-a', payload: {} } },
      { transfer_id: 't-500', step: 'commit-source', body: {} },
    ];
    expect(a.requests).toEqual([
      { method: 'POST', url: '/internal/transfers/steps', signed: true, steps: sent },
    ]);
    expect(b.requests).toEqual([
      {
        method: 'POST',
        url: '/internal/transfers/steps',
        signed: true,
        steps: [
          { transfer_id: 't-6', step: 'abort', body: {} },
          { transfer_id: 't-7', step: 'commit-source', body: {} },
        ],
      },
    ]);
    expect(settled.slice(0, 5)).toEqual(
      sent.slice(0, 5).map((s) => ({ status: 'fulfilled', value: { echo: s } })),
    );
    expect(settled.slice(8)).toEqual([
      { status: 'fulfilled', value: { on: 'b', transfer_id: 't-6' } },
      { status: 'fulfilled', value: { on: 'b', transfer_id: 't-7' } },
    ]);
    expect(await rejection(calls[5]!)).toEqual({
      code: 'unknown_entity',
      status: 404,
      detail: 'no fish 7 in tank A',
      unreachable: false,
    });
    expect(await rejection(calls[6]!)).toEqual({
      code: 'tank_full',
      status: 409,
      detail: 'the tank holds its maximum',
      unreachable: false,
    });
    // A step that failed on the server is the participant failing: unavailable, like unreachable.
    expect(await rejection(calls[7]!)).toMatchObject({ code: 'unavailable', status: 503, unreachable: true });
  });

  it('should send a lone step by itself, and census as a plain signed GET', async () => {
    const census = { server_id: 'server-a', reservations: [], tanks: [] };
    const a = await fakeServer(
      () => ({ status: 200, body: { dropped: false } }),
      (steps) => (steps.length === 0 ? { status: 200, body: census } : undefined),
    );
    const participants = participantsFor({ 'server-a': a.url });
    expect(await participants.commitSource('server-a', 't-1')).toEqual({ dropped: false });
    expect(await participants.census('server-a')).toEqual(census);
    expect(a.requests).toEqual([
      {
        method: 'POST',
        url: '/internal/transfers/steps',
        signed: true,
        steps: [{ transfer_id: 't-1', step: 'commit-source', body: {} }],
      },
      { method: 'GET', url: '/internal/transfers/reservations', signed: true, steps: undefined },
    ]);
  });

  it('should fail every step of a batch as unavailable when its server is down or unknown', async () => {
    const down = await fakeServer(() => expect.unreachable('nothing reaches a closed server'));
    down.server.close();
    await once(down.server, 'close');
    const participants = participantsFor({ 'server-down': down.url });
    const calls = [
      participants.prepareSource('server-down', 't-1', { tank_id: 'tank-a', entity_id: 1 }),
      participants.commitDest('server-down', 't-2', { tank_id: 'tank-a', entity_uid: 'u.2' }),
      participants.abort('server-down', 't-3'),
      participants.commitSource('server-gone', 't-4'),
    ];
    const unavailable = { code: 'unavailable', status: 503, unreachable: true };
    expect(await Promise.all(calls.map(rejection))).toEqual(
      calls.map(() => expect.objectContaining(unavailable)),
    );
  });

  it('should fail every step of a batch the server refuses or answers wrongly as a whole', async () => {
    const refusing = await fakeServer(
      () => expect.unreachable('no step is answered'),
      () => problem(401, 'invalid_signature', 'the signature does not match'),
    );
    const failing = await fakeServer(
      () => expect.unreachable('no step is answered'),
      () => problem(500, 'internal', 'boom'),
    );
    const short = await fakeServer(
      () => expect.unreachable('no step is answered'),
      () => ({ status: 200, body: { results: [{ status: 200, body: {} }] } }),
    );
    const participants = participantsFor({ refusing: refusing.url, failing: failing.url, short: short.url });
    const each = (server: string) => [
      participants.abort(server, 't-1'),
      participants.commitSource(server, 't-2'),
    ];
    const [refused, failed, broken] = await Promise.all(
      ['refusing', 'failing', 'short'].map((server) => Promise.all(each(server).map(rejection))),
    );
    const signature = {
      code: 'invalid_signature',
      status: 401,
      detail: 'the signature does not match',
      unreachable: false,
    };
    expect(refused).toEqual([signature, signature]);
    const unavailable = expect.objectContaining({ code: 'unavailable', status: 503, unreachable: true });
    expect([...failed!, ...broken!]).toEqual([unavailable, unavailable, unavailable, unavailable]);
  });
});
