/**
 * @module
 * WebSocket sessions for a tank server's `/ws/<tank_id>`, as fast-check arbitraries: a caller
 * (token or not), a tank (real, random, garbage), and a few client frames drawn from the
 * `ClientMessage` zod union (through `z.toJSONSchema`) or mutated: wrong types, unknown types,
 * invalid JSON, binary frames, frames past the 16 KiB limit, text that is not UTF-8.
 * `runWsSession` plays one and judges it: every frame gets a JSON reply or the socket a close
 * with a 4xxx, 1007, 1008 or 1009 code; never 1011, never silence.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { z } from 'zod';
import { ClientMessage } from '../../src/server/ws-messages.ts';
import { upgradeAndSend } from '../server/raw-ws.ts';
import {
  containsNul,
  deepNesting,
  encodeSegment,
  hostileValue,
  type JsonSchema,
  type SchemaRoot,
  validValue,
} from './schema-arbitrary.ts';

export interface WsFrame {
  kind: 'text' | 'binary';
  data: string | Buffer;
  mutation: string;
}

export interface WsSession {
  /** A token (valid, forged, garbage) or none. */
  token?: string;
  identity: string;
  /** The path segment after `/ws/`, encoded. */
  tank: string;
  json: boolean;
  frames: WsFrame[];
  /** Send `frames` as text frames of raw bytes that are not UTF-8 (closes 1007). */
  invalidUtf8: boolean;
}

export interface WsPools {
  tankIds: string[];
  identities: Array<{ name: string; token?: string }>;
}

const clientSchema = z.toJSONSchema(ClientMessage) as JsonSchema & SchemaRoot;

const TYPES = ['ping', 'pause', 'resume', 'spawn_food', 'spawn_fish'];

/** One client frame: a valid message, or a mutated one. */
export function clientFrame(): fc.Arbitrary<WsFrame> {
  const valid = validValue(clientSchema, clientSchema) as fc.Arbitrary<Record<string, unknown>>;
  const text =
    (mutation: string) =>
    (v: unknown): WsFrame => ({ kind: 'text', data: JSON.stringify(v), mutation });
  return fc.oneof(
    { weight: 4, arbitrary: valid.map(text('valid')) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.constantFrom('count', 'x', 'y', 'genome', 'id', 'type'), hostileValue())
        .map(([v, k, x]) => text('wrong-field')({ ...v, [k]: x })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.string({ maxLength: 12 }), hostileValue())
        .map(([v, k, x]) => text('unknown-key')({ ...v, [k]: x })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.constantFrom(...TYPES).map((t) => `${t} `),
            fc.string({ maxLength: 12 }),
          ),
          fc.dictionary(fc.string({ maxLength: 8 }), hostileValue(), { maxKeys: 3 }),
        )
        .map(([type, rest]) => text('unknown-type')({ ...rest, type })),
    },
    { weight: 1, arbitrary: hostileValue().map(text('hostile')) },
    { weight: 1, arbitrary: deepNesting().map(text('deep-nesting')) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom('{', '{"type":"ping"', 'ping', '', '\ufeff{"type":"ping"}'),
        )
        .map((data): WsFrame => ({ kind: 'text', data, mutation: 'invalid-json' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new TextEncoder().encode('{"type":"ping"}')))
        .map((bytes): WsFrame => ({ kind: 'binary', data: Buffer.from(bytes), mutation: 'binary' })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(17_000, 70_000).map(
        (n): WsFrame => ({
          kind: 'text',
          data: JSON.stringify({ type: 'ping', id: 'x'.repeat(n) }),
          mutation: 'huge',
        }),
      ),
    },
  );
}

/** The part after `/ws/`: a real tank mostly, else a random id or raw garbage. */
function tankSegment(pools: WsPools): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 16, arbitrary: fc.nat().map((i) => pools.tankIds[i % pools.tankIds.length] as string) },
    { weight: 1, arbitrary: fc.uuid() },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.string({ maxLength: 30 }).map(encodeSegment),
        fc.constantFrom('%E0%A4%A', '%', '%00', '..%2F', 'x'.repeat(3000), '%F0%9F%90%9F'),
      ),
    },
  );
}

/**
 * Sessions of one to four frames.
 *
 * @example
 * ```ts
 * const [session] = fc.sample(wsSessions(pools), { seed: 1, numRuns: 1 });
 * ```
 */
export function wsSessions(pools: WsPools): fc.Arbitrary<WsSession> {
  return fc
    .record({
      who: fc.oneof(
        {
          weight: 16,
          arbitrary: fc
            .nat()
            .map((i) => pools.identities[i % pools.identities.length] as WsPools['identities'][number]),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((token) => ({ name: 'garbage', token })) },
      ),
      tank: tankSegment(pools),
      json: fc.boolean(),
      frames: fc.array(clientFrame(), { minLength: 1, maxLength: 4 }),
      utf8Draw: fc.nat({ max: 30 }),
    })
    .map(({ who, tank, json, frames, utf8Draw }) => ({
      token: who.token,
      identity: who.name,
      tank,
      json,
      frames,
      // One session in thirty sends bytes that are not UTF-8 in a text frame.
      invalidUtf8: utf8Draw === 0,
    }));
}

/** Does the session carry a NUL anywhere (its tank segment or a frame)? */
export function wsHasNul(s: WsSession): boolean {
  return containsNul(s.tank) || s.frames.some((f) => typeof f.data === 'string' && containsNul(f.data));
}

export interface WsOutcome {
  /** One key per frame or close: `reply:pong`, `reply:error/malformed_message`, `close:4400`… */
  keys: string[];
  failure?: string;
  /** Client frames the session got to send. */
  sent: number;
}

/** Close codes a bad session may earn. 1000/1001 come only from a server that stops. */
function acceptableClose(code: number): boolean {
  return (code >= 4000 && code < 5000) || code === 1007 || code === 1008 || code === 1009;
}

const REPLIES = new Set(['hello', 'pong', 'ack', 'error']);

/**
 * Plays `session` against `wsBase` (`ws://host:port`) and judges every step.
 *
 * @example
 * ```ts
 * const outcome = await runWsSession(server.wsUrl, session);
 * expect(outcome.failure).toBeUndefined();
 * ```
 */
export async function runWsSession(
  wsBase: string,
  session: WsSession,
  { stepMs = 5_000 } = {},
): Promise<WsOutcome> {
  const query = new URLSearchParams();
  if (session.token !== undefined) query.set('token', session.token);
  if (session.json) query.set('format', 'json');
  const url = `${wsBase}/ws/${session.tank}?${query}`;
  if (session.invalidUtf8) {
    const payload = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]);
    const { status, closeCode } = await upgradeAndSend(url, payload, { timeoutMs: stepMs });
    if (closeCode === undefined)
      return { keys: [`no-close:${status}`], failure: `no close after invalid UTF-8 (${status})`, sent: 1 };
    return {
      keys: [`close:${closeCode}`],
      sent: 1,
      failure: acceptableClose(closeCode) ? undefined : `invalid UTF-8 closed with ${closeCode}`,
    };
  }

  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  const inbox: Array<Record<string, unknown> | string> = [];
  let closed: number | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    try {
      const message = JSON.parse(text) as Record<string, unknown>;
      if (REPLIES.has(message.type as string)) inbox.push(message);
    } catch {
      inbox.push(text);
    }
    poke();
  });
  ws.on('close', (code) => {
    closed = code;
    poke();
  });
  ws.on('error', () => {});
  const keys: string[] = [];

  /** The next reply, or the close; undefined after `stepMs` of nothing. */
  async function next(): Promise<'close' | Record<string, unknown> | string | undefined> {
    const deadline = Date.now() + stepMs;
    for (;;) {
      if (inbox.length > 0) return inbox.shift();
      if (closed !== undefined) return 'close';
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  }

  function judgeClose(): WsOutcome {
    keys.push(`close:${closed}`);
    return {
      keys,
      sent,
      failure: acceptableClose(closed as number) ? undefined : `closed with ${closed}`,
    };
  }

  let sent = 0;
  try {
    const hello = await next();
    if (hello === 'close') return judgeClose();
    if (hello === undefined) return { keys: ['timeout:hello'], sent, failure: 'neither hello nor close' };
    if (typeof hello === 'string')
      return { keys: ['non-json'], sent, failure: `non-JSON text: ${hello.slice(0, 100)}` };
    keys.push(`reply:${hello.type}`);
    for (const frame of session.frames) {
      if (ws.readyState !== WebSocket.OPEN) break;
      ws.send(frame.data, { binary: frame.kind === 'binary' });
      sent++;
      const answer = await next();
      if (answer === 'close') return judgeClose();
      if (answer === undefined)
        return { keys: [...keys, 'timeout'], sent, failure: `no reply to a ${frame.mutation} frame` };
      if (typeof answer === 'string')
        return { keys, sent, failure: `non-JSON text: ${answer.slice(0, 100)}` };
      keys.push(`reply:${answer.type}${answer.type === 'error' ? `/${answer.code}` : ''}`);
      // An error reply to a bad frame comes before its close: take the close too.
      if (answer.type === 'error' && answer.code === 'malformed_message') {
        const after = await next();
        if (after === 'close') return judgeClose();
        return { keys, sent, failure: 'malformed_message without a close' };
      }
    }
    return { keys, sent };
  } finally {
    ws.terminate();
  }
}

/**
 * A viewer that only watches: counts the binary (or JSON) frames it gets, to show fuzzed
 * sessions next to it do not stop its stream.
 */
export async function startWatcher(
  url: string,
): Promise<{ frames(): number; closeCode(): number | undefined; stop(): void }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let frames = 0;
  let code: number | undefined;
  ws.on('message', (_data, isBinary) => {
    if (isBinary) frames++;
  });
  ws.on('close', (c) => {
    code = c;
  });
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', (c) => reject(new Error(`watcher closed ${c}`)));
  });
  return { frames: () => frames, closeCode: () => code, stop: () => ws.terminate() };
}
