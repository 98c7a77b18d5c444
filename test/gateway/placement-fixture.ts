/**
 * @module
 * Servers and loads as placement sees them, for the placement unit tests: a server that exists
 * only as a directory entry (nothing listens on its port).
 */
import type { CheckStatus, ServerInstance } from '../../src/discovery/index.ts';

export interface FakeServerOptions {
  status?: CheckStatus;
  region?: string;
}

/** A directory entry for `serverId`, passing and in region `eu` unless told. */
export function fakeServer(
  serverId: string,
  { status = 'passing', region = 'eu' }: FakeServerOptions = {},
): ServerInstance {
  return {
    serverId,
    address: '127.0.0.1',
    port: 1,
    region,
    zone: `${region}-a`,
    version: '2.0.0',
    capabilities: [],
    publicUrl: 'http://127.0.0.1:1',
    wsUrl: 'ws://127.0.0.1:1',
    startedAt: new Date(0).toISOString(),
    status,
    lastOutput: '',
  };
}
