/**
 * @module
 * Free ports on loopback for the services we start. Two things make "bind to port 0" unsafe
 * when many processes start and kill services at once (the test files run in parallel):
 * the kernel hands out ports from the ephemeral range, which outgoing connections also draw
 * on, so a port found free may be some client's source port before our service binds it; and
 * a port freed by a killed service (to be restarted on the same port) looks free to every
 * other process. So ports come from below the ephemeral range, and each one is reserved for
 * the life of the process by a file in a shared folder that other processes skip.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { alive } from './run-dir.ts';

export interface FreePortsOptions {
  /** Address to bind; the services we start listen on loopback only. */
  host?: string;
  /** Also require the port to be free for UDP (Consul's DNS and Serf listen on both). */
  udp?: boolean;
  /**
   * Inclusive range to pick from; by default from 20000 to just below the kernel's ephemeral
   * range, which outgoing connections draw their source ports from.
   */
  range?: readonly [low: number, high: number];
}

const MAX_ATTEMPTS = 200;
/** Lowest port we hand out: above the well-known and most registered service ports. */
const RANGE_LOW = 20_000;
/** Used when the ephemeral range cannot be read (not Linux). */
const FALLBACK_EPHEMERAL_LOW = 32_768;

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > RANGE_LOW + 1000 ? value : FALLBACK_EPHEMERAL_LOW;
  } catch {
    return FALLBACK_EPHEMERAL_LOW;
  }
}

const reservationDir = path.join(tmpdir(), `tankworld-ports-${userInfo().uid}`);
const reserved = new Set<number>();
let releaseOnExit = false;

function release(port: number): void {
  if (!reserved.delete(port)) return;
  try {
    unlinkSync(path.join(reservationDir, String(port)));
  } catch {
    // Already gone.
  }
}

function releaseAll(): void {
  for (const port of [...reserved]) release(port);
}

/** Claims `port` for this process unless a living process holds it. */
function reserve(port: number): boolean {
  if (reserved.has(port)) return false;
  const file = path.join(reservationDir, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      if (!releaseOnExit) process.once('exit', releaseAll);
      releaseOnExit = true;
      reserved.add(port);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) return false;
      // Left by a process that died without its exit handler (SIGKILL): take it over.
      try {
        unlinkSync(file);
      } catch {
        // Another process took it over first; the next write tells.
      }
    }
  }
  return false;
}

function listenTcp(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => resolve(server));
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
 * Finds `count` distinct free ports, each reserved for this process until it exits (so a
 * service killed and restarted on its port finds it still its own). All of them are held
 * open until every one is found.
 *
 * @example
 * ```ts
 * const [http, grpc] = await freePorts(2);
 * const [dns] = await freePorts(1, { udp: true });
 * ```
 */
export async function freePorts(
  count: number,
  { host = '127.0.0.1', udp = false, range }: FreePortsOptions = {},
): Promise<number[]> {
  const [low, high] = range ?? [RANGE_LOW, ephemeralLow() - 1];
  mkdirSync(reservationDir, { recursive: true });
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt >= MAX_ATTEMPTS * count) throw new Error(`no free ${udp ? 'TCP+UDP ' : ''}port on ${host}`);
      const port = randomInt(low, high + 1);
      if (!reserve(port)) continue;
      const server = await listenTcp(host, port);
      if (server === undefined || (udp && !(await udpFree(host, port)))) {
        if (server) held.push(server);
        release(port);
        continue;
      }
      held.push(server);
      ports.push(port);
    }
    return ports;
  } catch (err) {
    for (const port of ports) release(port);
    throw err;
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
