/**
 * @module
 * The three fuzzed surfaces of a rig, for the short test and the long bench alike: the gateway's
 * HTTP API (its own routes and the tank routes it forwards), a tank server's HTTP API, and a tank
 * server's WebSocket viewers. Each is an arbitrary plus how to play one input.
 */
import fc from 'fast-check';
import { type FuzzRequest, hasNul, requestsFor, sendFuzzRequest } from './http-fuzz.ts';
import type { FuzzRig } from './rig.ts';
import type { RunSurfaceOptions } from './runner.ts';
import { runWsSession, type WsSession, wsHasNul, wsSessions } from './ws-fuzz.ts';

export type Surface<I> = Pick<RunSurfaceOptions<I>, 'name' | 'arbitrary' | 'play' | 'after'> & {
  /** Does the input carry a NUL (the 500s h19-nul fixes)? */
  nul: (input: I) => boolean;
};

/** Operation template → how many inputs, filled as they are played. */
export type Coverage = Map<string, number>;

function httpSurface(
  name: string,
  rig: FuzzRig,
  baseUrl: string,
  ops: FuzzRig['gatewayOps'],
  coverage: Coverage,
): Surface<FuzzRequest> {
  return {
    name,
    arbitrary: fc.oneof(...ops.map((op) => requestsFor(op, rig.pools))),
    async play(req) {
      coverage.set(req.operation, (coverage.get(req.operation) ?? 0) + 1);
      const outcome = await sendFuzzRequest(baseUrl, req);
      if (outcome.json !== undefined && req.method === 'POST' && req.url.startsWith('/api/tanks'))
        await rig.noteCreated(outcome.json, req.headers.authorization);
      const key = outcome.code ? `${outcome.key} ${outcome.code}` : outcome.key;
      return { keys: [key], failure: outcome.failure };
    },
    nul: hasNul,
  };
}

/**
 * @example
 * ```ts
 * const { gateway, server, ws } = fuzzSurfaces(rig, coverage);
 * await runSurface({ ...gateway, numRuns: 300, seed: 7 });
 * ```
 */
export function fuzzSurfaces(rig: FuzzRig, coverage: Coverage = new Map()) {
  const gateway = httpSurface('gateway HTTP', rig, rig.gatewayUrl, rig.gatewayOps, coverage);
  const server = httpSurface('tank server HTTP', rig, rig.serverUrl, rig.serverOps, coverage);
  const ws: Surface<WsSession> = {
    name: 'tank server WebSocket',
    arbitrary: wsSessions(rig.wsPools),
    async play(session) {
      const outcome = await runWsSession(rig.wsUrl, session);
      return { keys: outcome.keys, failure: outcome.failure };
    },
    nul: wsHasNul,
  };
  return { gateway, server, ws, coverage };
}
