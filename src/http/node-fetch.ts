/**
 * @module
 * A `fetch` for calls between our own processes (gateway → tank servers), over `node:http` with
 * a keep-alive agent. The WHATWG `fetch` builds request and response streams for every call;
 * measured here it cost ~0.19 ms of CPU more per call than this, and a transfer makes four such
 * calls. Answers are small JSON bodies, so the body is read whole before the `Response` is
 * made. Redirects are not followed (as `redirect: 'manual'`); an aborted or timed-out signal
 * rejects with the signal's reason, as `fetch` does.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

export interface NodeFetchOptions {
  /** Open connections kept per server; more wait. Unlimited by default, as `fetch`. */
  maxSockets?: number;
}

/** A `fetch` with its own agents; `close()` drops their idle connections. */
export interface NodeFetch {
  (input: string | URL, init?: RequestInit): Promise<Response>;
  close(): void;
}

/** Responses that carry no body whatever the headers say. */
const NO_BODY = new Set([204, 205, 304]);

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

function requestHeaders(init: RequestInit): Record<string, string> {
  const given = init.headers;
  if (given === undefined) return {};
  if (given instanceof Headers || Array.isArray(given)) return Object.fromEntries(new Headers(given));
  return given as Record<string, string>;
}

function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('nodeFetch sends strings and bytes only');
}

/**
 * @example
 * ```ts
 * const fetch = createNodeFetch();
 * const client = createServerClient({ secret, resolveServer, fetch });
 * // on shutdown
 * fetch.close();
 * ```
 */
export function createNodeFetch({ maxSockets }: NodeFetchOptions = {}): NodeFetch {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' }),
    'https:': new https.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' }),
  };

  function nodeFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = typeof input === 'string' ? new URL(input) : input;
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) return Promise.reject(new TypeError(`nodeFetch cannot fetch ${url.protocol} URLs`));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = bodyOf(init.body);
    return new Promise<Response>((resolve, reject) => {
      const transport = url.protocol === 'https:' ? https : http;
      const req = transport.request(url, { method, headers: requestHeaders(init), agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('the connection closed before the answer ended')));
        res.on('end', () => {
          signal?.removeEventListener('abort', onAbort);
          const status = res.statusCode ?? 502;
          const empty = method === 'HEAD' || NO_BODY.has(status);
          try {
            resolve(
              new Response(empty ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage,
                headers: headersOf(res),
              }),
            );
          } catch (err) {
            // A status a Response cannot carry (1xx) is a broken answer.
            reject(err);
          }
        });
      });
      function fail(err: unknown): void {
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(err);
      }
      function onAbort(): void {
        fail(signal!.reason);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      // An answer that takes the connection over (101) is not one a caller can read. Without a
      // listener Node drops that socket but the request never fails, and the call would wait
      // for its deadline, or forever without one.
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        fail(new Error(`${url.origin} switched protocols (${res.statusCode}) instead of answering`));
      });
      req.end(body);
    });
  }

  return Object.assign(nodeFetch, {
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  });
}
