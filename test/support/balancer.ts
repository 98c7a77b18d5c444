/**
 * @module
 * A round-robin TCP balancer in the test process: several gateways behind one address, as a
 * load balancer in front of a fleet would put them. Each new connection goes to the next
 * target; a target that refuses the connection (a killed gateway) is skipped for the next one,
 * so clients of the one address keep being served while any target lives.
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import type { Cleanup } from './cleanup.ts';

export interface TcpBalancerOptions {
  /** The targets, each tried in turn. */
  targets: Array<{ host: string; port: number }>;
  /** Where the balancer listens; 127.0.0.1 on a free port by default. */
  host?: string;
  port?: number;
  /** Registers `close()`. */
  cleanup?: Cleanup;
}

export interface TcpBalancer {
  readonly url: string;
  readonly port: number;
  /** Connections handed to each target so far, in the order of `targets`. */
  readonly served: readonly number[];
  /** Stops listening and destroys every relayed connection. */
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const lb = await startTcpBalancer({ targets: ports.map((port) => ({ host: '127.0.0.1', port })), cleanup });
 * await fetch(`${lb.url}/health`); // the next gateway in turn answers
 * ```
 */
export async function startTcpBalancer({
  targets,
  host = '127.0.0.1',
  port = 0,
  cleanup,
}: TcpBalancerOptions): Promise<TcpBalancer> {
  const sockets = new Set<Socket>();
  const served = targets.map(() => 0);
  let next = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  /**
   * Connects `inbound` to the first target from `first` on that accepts, trying each once; the
   * order is the connection's own, so connections opened meanwhile cannot make it skip one.
   */
  function relay(inbound: Socket, first: number, tries = 0): void {
    if (tries >= targets.length) {
      inbound.destroy();
      return;
    }
    const index = (first + tries) % targets.length;
    const outbound = tcpConnect(targets[index]!);
    track(outbound);
    const refused = () => relay(inbound, first, tries + 1);
    outbound.once('error', refused);
    outbound.once('connect', () => {
      outbound.off('error', refused);
      served[index]!++;
      // Either side ending or failing ends the other, as with a direct connection.
      outbound.on('error', () => inbound.destroy());
      inbound.on('error', () => outbound.destroy());
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.resume();
    });
  }

  const server = createServer({ pauseOnConnect: true }, function balanceConnection(inbound) {
    track(inbound);
    const first = next;
    next = (next + 1) % targets.length;
    relay(inbound, first);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const balancer: TcpBalancer = {
    url: `http://${host}:${bound}`,
    port: bound,
    served,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanup?.add(balancer);
  return balancer;
}
