/**
 * @module
 * The store: one Drizzle schema over PostgreSQL (postgres.js) or embedded PGlite, its migrations,
 * and the queries the tank servers and the gateway run. Every query function takes `db` (or a
 * transaction) first and throws only `StoreError`s.
 *
 * @example
 * ```ts
 * import { createStore, createTank, createLocation } from '../store/index.ts';
 *
 * const store = createStore({ databaseUrl: process.env.DATABASE_URL, logger });
 * await store.migrate();
 * const tank = await createTank(store.db, { name: 'Reef', owner: 'alice' });
 * await createLocation(store.db, { tankId: tank.tankId, serverId: 'srv-1' });
 * await store.close();
 * ```
 */
export {
  type ImportedTank,
  insertImportedTank,
  readTankArchiveParts,
  type TankArchiveParts,
} from './archives.ts';
export {
  type ConnectionPage,
  createConnection,
  deleteConnection,
  type ListConnectionsOptions,
  listConnections,
  listConnectionsOfTanks,
  listConnectionsOnServer,
  listTankConnections,
} from './connections.ts';
export type { Db, Schema } from './db.ts';
export {
  ConflictError,
  InvalidValueError,
  NotFoundError,
  type StaleEpochDetails,
  StaleEpochError,
  StoreError,
  type StoreErrorOptions,
} from './errors.ts';
export { journalLocalMove, type LocalMove } from './local-moves.ts';
export {
  assertOwnership,
  countTanksByServer,
  createLocation,
  getLocation,
  listLocationsByServer,
  listTankOwners,
  type MoveTank,
  moveTank,
  type Ownership,
} from './locations.ts';
export {
  type Grant,
  grantPermission,
  listPermissions,
  permissionOf,
  permits,
  revokePermission,
} from './permissions.ts';
export { makePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-dir.ts';
export {
  deleteReservation,
  getReservation,
  type JournalledReservation,
  listReservations,
  type PutReservation,
  putReservation,
  reserveFenced,
  settleReservation,
} from './reservations.ts';
export {
  MOUTHS,
  type Mouth,
  type NewServer,
  type NewTank,
  type NewTankConnection,
  type NewTransfer,
  type NewTransferReservation,
  PERMISSIONS,
  type Permission,
  RESERVATION_ROLES,
  RESERVATION_STATES,
  type ReservationRole,
  type ReservationState,
  SERVER_STATUSES,
  type Server,
  type ServerStatus,
  type SnapshotMeta,
  type StoredLoad,
  serversTable,
  type TankConnection,
  type TankLocation,
  type TankPermission,
  type TankRow,
  type TankSnapshot,
  TRANSFER_STATUSES,
  type Transfer,
  type TransferEvent,
  type TransferReservation,
  type TransferStatus,
  TUBE_DIRECTIONS,
  type TubeDirection,
  tankConnectionsTable,
  tankLocationsTable,
  tankPermissionsTable,
  tankSnapshotsTable,
  tanksTable,
  transferEventsTable,
  transferReservationsTable,
  transfersTable,
} from './schema.ts';
export {
  getServer,
  listServers,
  recordHeartbeat,
  type ServerInput,
  setServerStatus,
  upsertServer,
} from './servers.ts';
export {
  getSnapshot,
  latestSnapshot,
  latestSnapshotsForServer,
  listSnapshots,
  type NewSnapshot,
  pruneSnapshots,
  type SaveResult,
  saveSnapshots,
} from './snapshots.ts';
export { createStore, type Store, type StoreLogger, type StoreOptions } from './store.ts';
export {
  type ListTanksOptions,
  listTanks,
  nameQuery,
  TANK_SORTS,
  type TankEntry,
  type TankPage,
  type TankSort,
} from './tank-search.ts';
export { recordTankStats, type TankStatsRow } from './tank-stats.ts';
export {
  countTanksOwnedBy,
  createTank,
  deleteTank,
  getTank,
  getTankWithLocation,
  listTanksOnServer,
  lockOwner,
} from './tanks.ts';
export {
  getTransfer,
  getTransferByKey,
  listTransfersByTank,
  listUnfinishedTransfers,
  type TransferWithEvents,
  transferredUids,
} from './transfer-reads.ts';
export {
  appendTransferEvent,
  type CreatedTransfer,
  type CreateTransfer,
  createTransfer,
  type LoggedEvent,
  type StatusChange,
  setTransferStatus,
} from './transfers.ts';
export { countTubePeersByServer } from './tube-peers.ts';
