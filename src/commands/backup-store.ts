/**
 * @module
 * Where backups go: a folder, or an S3-compatible bucket (`s3://bucket/prefix`, path-style, so
 * SeaweedFS and other self-hosted stores work), behind one small interface of keys. S3 requests
 * are signed with aws4fetch (MIT, no dependencies) from `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` (default us-east-1) and the endpoint (`--s3-endpoint`,
 * else `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, as the AWS tools read them).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AwsClient } from 'aws4fetch';
import { ConfigError } from '../config.ts';

/** Keys are `/`-separated paths under the store's root. */
export interface BackupStore {
  /** Where it is, for messages. */
  readonly where: string;
  put(key: string, bytes: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Every key under `prefix` (`''` for all), sorted. */
  list(prefix: string): Promise<string[]>;
  remove(keys: readonly string[]): Promise<void>;
}

function folderStore(root: string): BackupStore {
  const full = (key: string) => path.join(root, ...key.split('/'));
  async function walk(dir: string, prefix: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    const keys: string[] = [];
    for (const e of entries) {
      const key = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) keys.push(...(await walk(path.join(dir, e.name), key)));
      else if (!e.name.endsWith('.part')) keys.push(key);
    }
    return keys;
  }
  return {
    where: root,
    async put(key, bytes) {
      await mkdir(path.dirname(full(key)), { recursive: true });
      // Written beside and renamed: a crash mid-write leaves no file that looks whole.
      await writeFile(`${full(key)}.part`, bytes);
      await rename(`${full(key)}.part`, full(key));
    },
    get: (key) => readFile(full(key)),
    async list(prefix) {
      return (await walk(root, '')).filter((k) => k.startsWith(prefix)).sort();
    },
    async remove(keys) {
      for (const key of keys) await rm(full(key), { force: true });
      // Empty folders left by a pruned backup go too.
      for (const dir of new Set(keys.map((k) => k.split('/')[0]!)))
        await rm(path.join(root, dir), { recursive: true, force: true }).catch(() => {});
    },
  };
}

function xmlValues(xml: string, tag: string): string[] {
  const unescapeXml = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => unescapeXml(m[1]!));
}

function s3Store(url: URL, env: NodeJS.ProcessEnv, endpoint: string | undefined): BackupStore {
  const bucket = url.hostname;
  const base = url.pathname.replace(/^\/+|\/+$/g, '');
  const at = endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!at) throw new ConfigError('an s3:// target needs --s3-endpoint or AWS_ENDPOINT_URL');
  if (!accessKeyId || !secretAccessKey)
    throw new ConfigError('an s3:// target needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  const aws = new AwsClient({
    accessKeyId,
    secretAccessKey,
    service: 's3',
    region: env.AWS_REGION ?? 'us-east-1',
  });
  const root = `${at.replace(/\/+$/, '')}/${bucket}`;
  const full = (key: string) => (base ? `${base}/${key}` : key);
  const objectUrl = (key: string) => `${root}/${full(key).split('/').map(encodeURIComponent).join('/')}`;
  async function send(what: string, target: string, init: RequestInit = {}): Promise<Response> {
    const res = await aws.fetch(target, init);
    if (!res.ok) throw new Error(`S3 ${what}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    return res;
  }
  return {
    where: url.href,
    async put(key, bytes) {
      await send(`put ${key}`, objectUrl(key), { method: 'PUT', body: new Uint8Array(bytes) });
    },
    async get(key) {
      return Buffer.from(await (await send(`get ${key}`, objectUrl(key))).arrayBuffer());
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      const strip = base ? base.length + 1 : 0;
      do {
        const q = new URLSearchParams({ 'list-type': '2', prefix: full(prefix) });
        if (token) q.set('continuation-token', token);
        const xml = await (await send('list', `${root}?${q}`)).text();
        keys.push(...xmlValues(xml, 'Key').map((k) => k.slice(strip)));
        token =
          xmlValues(xml, 'IsTruncated')[0] === 'true'
            ? xmlValues(xml, 'NextContinuationToken')[0]
            : undefined;
      } while (token);
      return keys.sort();
    },
    async remove(keys) {
      for (const key of keys) await send(`delete ${key}`, objectUrl(key), { method: 'DELETE' });
    },
  };
}

/**
 * A folder path or an `s3://bucket/prefix` URL.
 *
 * @example
 * ```ts
 * const store = openBackupStore('s3://backups/tankworld', { env: process.env });
 * ```
 */
export function openBackupStore(
  target: string,
  { env, s3Endpoint }: { env: NodeJS.ProcessEnv; s3Endpoint?: string },
): BackupStore {
  if (target.startsWith('s3://')) {
    const url = new URL(target);
    if (!url.hostname) throw new ConfigError(`no bucket in ${target}`);
    return s3Store(url, env, s3Endpoint);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target))
    throw new ConfigError(`a folder or an s3:// URL, not ${target}`);
  return folderStore(path.resolve(target));
}
