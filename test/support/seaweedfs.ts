/**
 * @module
 * A SeaweedFS server of the test's own (`weed mini`: master, volume, filer and S3 in one
 * process), the S3-compatible store the backup tests write to. The binary is the pinned build
 * `scripts/install-seaweedfs.sh` puts in the per-user cache (`TANKWORLD_SEAWEEDFS_BIN` names
 * another); `seaweedfsBinary()` is undefined when it is not built, and the caller skips saying so.
 * Everything binds to 127.0.0.1 on free ports, and its telemetry to the vendor is off.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AwsClient } from 'aws4fetch';
import { pinnedVersions } from '../../src/mesh/index.ts';
import type { Cleanup } from './cleanup.ts';
import { freePorts, type ProgramHandle } from './index.ts';
import { startProgram } from './starters.ts';

export interface SeaweedfsHandle {
  /** The S3 endpoint, `http://127.0.0.1:<port>`. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  program: ProgramHandle;
  /** Creates a bucket (signed `PUT /<bucket>`). */
  createBucket(name: string): Promise<void>;
  /** Every key in a bucket under `prefix`. */
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
}

/** The pinned `weed` binary, or undefined when it has not been built here. */
export function seaweedfsBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TANKWORLD_SEAWEEDFS_BIN)
    return existsSync(env.TANKWORLD_SEAWEEDFS_BIN) ? env.TANKWORLD_SEAWEEDFS_BIN : undefined;
  const cache =
    env.TANKWORLD_CACHE || path.join(env.XDG_CACHE_HOME || path.join(env.HOME ?? '', '.cache'), 'tankworld');
  const bin = path.join(cache, `seaweedfs-v${pinnedVersions().seaweedfs}`, 'weed');
  return existsSync(bin) ? bin : undefined;
}

/**
 * @example
 * ```ts
 * const s3 = await startSeaweedfs({ bin, cleanup });
 * await s3.createBucket('backups');
 * ```
 */
export async function startSeaweedfs({
  bin,
  cleanup,
}: {
  bin: string;
  cleanup?: Cleanup;
}): Promise<SeaweedfsHandle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tankworld-seaweedfs-'));
  const accessKeyId = 'tankworld-test';
  const secretAccessKey = 'tankworld-test-secret-0123456789';
  const identities = {
    identities: [
      {
        name: 'tankworld',
        credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
        actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
      },
    ],
  };
  await writeFile(path.join(dir, 's3.json'), JSON.stringify(identities));
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc, admin, adminGrpc] =
    await freePorts(10);
  const endpoint = `http://127.0.0.1:${s3}`;
  const program = await startProgram({
    name: 'seaweedfs',
    command: bin,
    args: [
      'mini',
      `-dir=${path.join(dir, 'data')}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      '-master.telemetry=false',
      `-s3.config=${path.join(dir, 's3.json')}`,
      '-webdav=false',
      '-admin.ui=false',
      '-admin.port.legacy=0',
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      `-master.port=${master}`,
      `-master.port.grpc=${masterGrpc}`,
      `-volume.port=${volume}`,
      `-volume.port.grpc=${volumeGrpc}`,
      `-filer.port=${filer}`,
      `-filer.port.grpc=${filerGrpc}`,
      `-s3.port=${s3}`,
      `-s3.port.grpc=${s3Grpc}`,
      `-admin.port=${admin}`,
      `-admin.port.grpc=${adminGrpc}`,
    ],
    // Any answer from the S3 port (an unsigned request is refused) means it serves.
    ready: async () => (await fetch(endpoint, { signal: AbortSignal.timeout(2000) })).status > 0,
    startTimeout: 60_000,
  });
  const aws = new AwsClient({ accessKeyId, secretAccessKey, service: 's3', region: 'us-east-1' });
  const handle: SeaweedfsHandle = {
    endpoint,
    accessKeyId,
    secretAccessKey,
    program,
    async createBucket(name) {
      const res = await aws.fetch(`${endpoint}/${name}`, { method: 'PUT' });
      if (!res.ok) throw new Error(`create bucket ${name}: ${res.status} ${await res.text()}`);
    },
    async listKeys(bucket, prefix = '') {
      const res = await aws.fetch(`${endpoint}/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`);
      const xml = await res.text();
      if (!res.ok) throw new Error(`list ${bucket}: ${res.status} ${xml}`);
      return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!).sort();
    },
  };
  cleanup?.add({
    stop: async () => {
      await program.stop();
      await rm(dir, { recursive: true, force: true });
    },
  });
  return handle;
}
