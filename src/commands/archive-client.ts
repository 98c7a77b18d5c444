/**
 * @module
 * How `tankworld export | import | backup | restore` reach the gateway: its URL (`--gateway`,
 * else `GATEWAY_URL`, else http://127.0.0.1:8080) and a token (`--token`, else
 * `TANKWORLD_TOKEN`; an operator's for backup and restore: `tankworld token --user ops
 * --operator`). Downloads report their progress as they stream; refusals come back as the
 * gateway's problem (code and detail), never as a stack.
 */
// The format alone (not the archive's index): a CLI start need not load the simulation.
import { ARCHIVE_MEDIA_TYPE } from '../archive/format.ts';
import { ConfigError } from '../config.ts';

export interface ArchiveClientOptions {
  gatewayUrl: string;
  token: string;
  /** Called as bytes arrive or leave: done so far, and the total when known. */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** What the gateway answers to an import. */
export interface ImportAnswer {
  tank: { tank_id: string; server_id: string; epoch: number };
  imported_from: string;
  same_id: boolean;
}

/** A refusal from the gateway, with its problem code. */
export class GatewayRefusal extends Error {
  override readonly name = 'GatewayRefusal';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, detail: string) {
    super(`${code} (${status}): ${detail}`);
    this.status = status;
    this.code = code;
  }
}

export interface ArchiveClient {
  download(tankId: string): Promise<Buffer>;
  upload(bytes: Uint8Array<ArrayBuffer> | Buffer, onto?: 'auto' | 'same' | 'new'): Promise<ImportAnswer>;
  /** Every tank id, following the pages (operator). */
  tankIds(): Promise<string[]>;
}

/** The gateway and token from flags and environment. */
export function gatewayAccess(
  values: { gateway?: string | boolean; token?: string | boolean },
  env: NodeJS.ProcessEnv,
): { gatewayUrl: string; token: string } {
  const gatewayUrl =
    (typeof values.gateway === 'string' ? values.gateway : env.GATEWAY_URL) ?? 'http://127.0.0.1:8080';
  const token = typeof values.token === 'string' ? values.token : env.TANKWORLD_TOKEN;
  if (!token)
    throw new ConfigError('give a token: --token or TANKWORLD_TOKEN (tankworld token --user <name>)');
  if (!/^https?:\/\//.test(gatewayUrl))
    throw new ConfigError(`--gateway must be an http(s) URL, not ${gatewayUrl}`);
  return { gatewayUrl: gatewayUrl.replace(/\/+$/, ''), token };
}

async function refusal(res: Response): Promise<GatewayRefusal> {
  const text = await res.text();
  try {
    const problem = JSON.parse(text) as { code?: string; detail?: string };
    return new GatewayRefusal(res.status, problem.code ?? 'unknown', problem.detail ?? text);
  } catch {
    return new GatewayRefusal(res.status, 'unknown', text.slice(0, 200));
  }
}

/** Reads a response body chunk by chunk, reporting each. */
async function readAll(res: Response, onProgress: ArchiveClientOptions['onProgress']): Promise<Buffer> {
  const total = Number(res.headers.get('content-length')) || undefined;
  const chunks: Uint8Array[] = [];
  let done = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      chunks.push(chunk);
      done += chunk.length;
      onProgress?.(done, total);
    }
  }
  return Buffer.concat(chunks);
}

/**
 * @example
 * ```ts
 * const client = createArchiveClient({ gatewayUrl: 'http://127.0.0.1:8080', token });
 * await writeFile('reef.tankworld.gz', await client.download(tankId));
 * ```
 */
export function createArchiveClient({ gatewayUrl, token, onProgress }: ArchiveClientOptions): ArchiveClient {
  const auth = { authorization: `Bearer ${token}` };
  return {
    async download(tankId) {
      const res = await fetch(`${gatewayUrl}/api/tanks/${encodeURIComponent(tankId)}/archive`, {
        headers: auth,
      });
      if (!res.ok) throw await refusal(res);
      return readAll(res, onProgress);
    },

    async upload(bytes, onto = 'auto') {
      onProgress?.(0, bytes.length);
      const res = await fetch(`${gatewayUrl}/api/tanks/import?onto=${onto}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': ARCHIVE_MEDIA_TYPE },
        body: new Uint8Array(bytes),
      });
      if (!res.ok) throw await refusal(res);
      onProgress?.(bytes.length, bytes.length);
      return (await res.json()) as ImportAnswer;
    },

    async tankIds() {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const res = await fetch(`${gatewayUrl}/api/archives?limit=500${query}`, { headers: auth });
        if (!res.ok) throw await refusal(res);
        const page = (await res.json()) as { tank_ids: string[]; next_cursor: string | null };
        ids.push(...page.tank_ids);
        cursor = page.next_cursor;
      } while (cursor);
      return ids;
    },
  };
}

/** `12.3 KiB` */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A progress line on stderr, rewritten in place on a terminal and one line per step elsewhere. */
export function progressLine(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K[tankworld] ${text}`);
  else process.stderr.write(`[tankworld] ${text}\n`);
}
