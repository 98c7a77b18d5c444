/**
 * @module
 * The tank archive, declared once: a gzipped JSON document `{ format, version, sha256, body }`.
 * `format` names it (anything else is a foreign file), `version` says which body shape follows
 * (a reader refuses a newer one instead of guessing), and `sha256` is the hex digest of the body
 * exactly as written (`JSON.stringify(body)`), so a changed byte is caught even where gzip's own
 * CRC would pass (a file edited by hand and recompressed). Version 1's body: the tank's row, its
 * newest snapshot with the settled transfer journal after it, its grants, and `connections`,
 * empty in version 1 (no table holds them yet): a later version gives them a shape and a
 * version 1 reader refuses it as newer.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { ApiError } from '../http/index.ts';

export const ARCHIVE_FORMAT = 'tankworld-tank-archive';
export const ARCHIVE_VERSION = 1;
export const ARCHIVE_MEDIA_TYPE = 'application/gzip';
/** The largest archive taken in, compressed (the import route's body limit). */
export const MAX_ARCHIVE_BYTES = 8 * 1024 * 1024;
/** The largest archive taken in once inflated: a small gzip bomb stops here. */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b] as const;

const isoTime = z.string().datetime({ offset: true });

export const ArchivedTankSchema = z
  .object({
    tank_id: z.string().uuid(),
    name: z.string().trim().min(1).max(100),
    description: z.string().max(500),
    owner: z.string().min(1).max(200).nullable(),
    is_public: z.boolean(),
    allow_transfers: z.boolean(),
    seed: z.number().int().min(0).nullable(),
    created_at: isoTime,
  })
  .strict();

/** A settled side of a transfer after the snapshot: replayed onto the world at import. */
export const JournalEntrySchema = z
  .object({
    transfer_id: z.string().uuid(),
    role: z.enum(['source', 'dest']),
    state: z.enum(['departed', 'arrived', 'returned']),
    entity_uid: z.string().min(1).max(200),
    payload: z.record(z.string(), z.unknown()),
    seq: z.number().int().min(0),
  })
  .strict();

export const ArchivedGrantSchema = z
  .object({
    user_id: z.string().min(1).max(200),
    permission: z.enum(['read', 'write', 'admin']),
    granted_at: isoTime,
  })
  .strict();

export const ArchiveBodySchema = z
  .object({
    exported_at: isoTime,
    tank: ArchivedTankSchema,
    snapshot: z.object({ frame: z.number().int().min(0), created_at: isoTime, state: z.unknown() }).strict(),
    journal: z.array(JournalEntrySchema).max(10_000),
    permissions: z.array(ArchivedGrantSchema).max(10_000),
    /** Version 1 has no connections table to read: always empty. */
    connections: z.array(z.never()).max(0),
  })
  .strict();

export type ArchiveBody = z.infer<typeof ArchiveBodySchema>;
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

const EnvelopeSchema = z.object({
  format: z.string(),
  version: z.number(),
  sha256: z.string(),
  body: z.unknown(),
});

/** What an archive's name says, for a folder or a bucket: `<tank id>.tankworld.gz`. */
export const ARCHIVE_SUFFIX = '.tankworld.gz';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * @example
 * ```ts
 * const bytes = encodeArchive(body); // gzip, ready to download or upload
 * ```
 */
export function encodeArchive(body: ArchiveBody): Buffer {
  const text = JSON.stringify(body);
  const envelope = `{"format":"${ARCHIVE_FORMAT}","version":${ARCHIVE_VERSION},"sha256":"${sha256(text)}","body":${text}}`;
  return gzipSync(envelope);
}

function inflate(bytes: Uint8Array): string {
  if (bytes.length > MAX_ARCHIVE_BYTES)
    throw new ApiError('archive_too_large', `archives are limited to ${MAX_ARCHIVE_BYTES} bytes`);
  if (bytes.length < 2 || bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1])
    throw new ApiError('archive_foreign', 'not a Tank World archive: the file is not gzip');
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new ApiError('archive_too_large', `archives inflate to at most ${MAX_INFLATED_BYTES} bytes`);
    // zlib says "unexpected end of file" when the stream stops before its end (a cut download).
    if (code === 'Z_BUF_ERROR')
      throw new ApiError('archive_truncated', 'the archive ends early: it was cut short');
    throw new ApiError('archive_corrupt', `the archive's gzip stream is damaged (${(err as Error).message})`);
  }
}

/**
 * Reads an archive's bytes back, refusing with why: `archive_too_large`, `archive_foreign` (not
 * gzip, or another format), `archive_truncated`, `archive_version_unsupported` (newer than this
 * reader), `archive_corrupt` (bad gzip, JSON, checksum or shape). The snapshot's own content is
 * checked when it is decoded for import.
 */
export function decodeArchive(bytes: Uint8Array): ArchiveBody {
  const text = inflate(bytes);
  let envelope: z.infer<typeof EnvelopeSchema>;
  try {
    envelope = EnvelopeSchema.parse(JSON.parse(text));
  } catch {
    throw new ApiError('archive_foreign', 'not a Tank World archive: no format, version and body inside');
  }
  if (envelope.format !== ARCHIVE_FORMAT)
    throw new ApiError('archive_foreign', `not a Tank World archive: its format is "${envelope.format}"`);
  if (!Number.isInteger(envelope.version) || envelope.version < 1)
    throw new ApiError('archive_corrupt', `archive version ${envelope.version} is not a version`);
  if (envelope.version > ARCHIVE_VERSION)
    throw new ApiError(
      'archive_version_unsupported',
      `archive version ${envelope.version} is newer than this gateway reads (${ARCHIVE_VERSION})`,
      { extra: { archive_version: envelope.version, supported_version: ARCHIVE_VERSION } },
    );
  if (sha256(JSON.stringify(envelope.body)) !== envelope.sha256)
    throw new ApiError('archive_corrupt', "the archive's checksum does not match its body");
  const body = ArchiveBodySchema.safeParse(envelope.body);
  if (!body.success)
    throw new ApiError('archive_corrupt', `the archive's body is not a version ${ARCHIVE_VERSION} body`, {
      extra: { errors: body.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  return body.data;
}
