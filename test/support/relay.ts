/**
 * @module
 * A TCP relay in the test process: it listens on one address and pipes each connection to a
 * target. Partition tests bind one on a veth's root-side address for each service that listens
 * on 127.0.0.1 only (Consul, Redis, PostgreSQL), so a process in a network namespace reaches
 * them over that link, and cutting the link cuts exactly that traffic.
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import type { Cleanup } from './cleanup.ts';

export interface TcpRelayOptions {
  /** Where the relay listens, e.g. a link's `rootAddress`. */
  host: string;
  /** Its port; the target's port when absent (the URLs then differ only by host). */
  port?: number;
  target: { host: string; port: number };
  /** Registers `close()`. */
  cleanup?: Cleanup;
}

export interface TcpRelay {
  readonly host: string;
  readonly port: number;
  /** Stops listening and destroys every relayed connection. */
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const relay = await startTcpRelay({ host: ns.links.postgres.rootAddress,
 *   target: { host: '127.0.0.1', port: 5432 }, cleanup });
 * ```
 */
export async function startTcpRelay({ host, port, target, cleanup }: TcpRelayOptions): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer(function relayConnection(inbound) {
    track(inbound);
    const outbound = tcpConnect({ host: target.host, port: target.port });
    track(outbound);
    // Either side ending or failing ends the other: the client sees what a direct connection
    // to the target would (a reset, an end).
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: port ?? target.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const relay: TcpRelay = {
    host,
    port: typeof address === 'object' && address ? address.port : (port ?? target.port),
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanup?.add(relay);
  return relay;
}
