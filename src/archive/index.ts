/**
 * @module
 * Tank archives: one self-contained, versioned file per tank (`format.ts` declares it), built
 * from the store (`build.ts`) and turned back into the snapshot an imported tank starts from
 * (`prepare.ts`). The gateway serves and takes them (src/gateway/routes-archive.ts); the CLI's
 * `export`, `import`, `backup` and `restore` move them (src/commands).
 *
 * @example
 * ```ts
 * const bytes = encodeArchive(archiveBodyOf(await readTankArchiveParts(db, tankId), new Date()));
 * const body = decodeArchive(bytes); // or an ApiError saying why not
 * ```
 */
export { archiveBodyOf } from './build.ts';
export {
  ARCHIVE_FORMAT,
  ARCHIVE_MEDIA_TYPE,
  ARCHIVE_SUFFIX,
  ARCHIVE_VERSION,
  type ArchiveBody,
  ArchiveBodySchema,
  decodeArchive,
  encodeArchive,
  type JournalEntry,
  MAX_ARCHIVE_BYTES,
  MAX_INFLATED_BYTES,
} from './format.ts';
export { type ImportSnapshot, importSnapshot, renumberFish } from './prepare.ts';
