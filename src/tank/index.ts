/**
 * @module
 * Tanks: a world with its viewers and metadata (`Tank`), every tank of a process on one
 * scheduler (`TankHost`), the snapshot codec for Postgres and the binary wire codec for viewers.
 */
export { createTankHost, type HostLoad, type TankHost, type TankHostOptions } from './host.ts';
export {
  decodeTankSnapshot,
  encodeTankSnapshot,
  SnapshotFormatError,
  TANK_SNAPSHOT_VERSION,
  type TankSnapshotState,
} from './snapshot-codec.ts';
export {
  type BroadcastFrame,
  type CreateTankOptions,
  createTank,
  type Tank,
  type TankMeta,
  TankStatus,
  type Viewer,
} from './tank.ts';
