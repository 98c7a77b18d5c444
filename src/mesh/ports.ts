/**
 * @module
 * Free ports on loopback, found by letting the kernel pick one (bind to port 0).
 */
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

export interface FreePortsOptions {
  /** Address to bind; the services we start listen on loopback only. */
  host?: string;
  /** Also require the port to be free for UDP (Consul's DNS and Serf listen on both). */
  udp?: boolean;
}

const MAX_ATTEMPTS = 50;

function listenTcp(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(
    () => undefined,
  );
}

/**
 * Finds `count` distinct free ports. All of them are held open until every one is found, so
 * the kernel cannot hand the same port out twice within one call.
 *
 * @example
 * ```ts
 * const [http, grpc] = await freePorts(2);
 * const [dns] = await freePorts(1, { udp: true });
 * ```
 */
export async function freePorts(
  count: number,
  { host = '127.0.0.1', udp = false }: FreePortsOptions = {},
): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt >= MAX_ATTEMPTS * count) throw new Error(`no free ${udp ? 'TCP+UDP ' : ''}port on ${host}`);
      const server = await listenTcp(host);
      held.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string') continue;
      if (udp && !(await udpFree(host, address.port))) continue;
      ports.push(address.port);
    }
    return ports;
  } finally {
    await closeAll(held);
  }
}

/**
 * Finds one free port.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export async function freePort(options: FreePortsOptions = {}): Promise<number> {
  const [port] = await freePorts(1, options);
  return port!;
}
