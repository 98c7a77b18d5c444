/**
 * @module
 * What the parts of a participant's transfer steps share (`participant.ts` builds it once and hands
 * it to the destination's half and to the abort).
 */
import type { CrashPoint } from '../../fault/index.ts';
import type { ApiError } from '../../http/index.ts';
import type { Db } from '../../store/index.ts';
import type { Tank, TankHost } from '../../tank/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Snapshotter } from '../snapshotter.ts';

export interface StepContext {
  serverId: string;
  db: Db;
  host: TankHost;
  snapshotter: Snapshotter;
  log: Logger;
  crash: CrashPoint;
  /** Runs steps of one transfer one at a time. */
  serial<T>(transferId: string, job: () => Promise<T>): Promise<T>;
  /** The tank if it runs here; throws `tank_not_found` otherwise. */
  tankHere(tankId: string): Tank;
  /** The error for a tank that has moved to another server. */
  fenced(tank: Tank): ApiError;
}
