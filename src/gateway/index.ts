/**
 * @module
 * The gateway: finds a tank's server through the Drizzle tables, places new tanks, proxies tank
 * routes to their server, coordinates transfers and streams the network's events.
 */

export { createGateway, GATEWAY_VERSION, type Gateway, type GatewayOptions } from './gateway.ts';
export {
  defaultPlacement,
  fewestTanks,
  leastLoaded,
  type PlacementStrategy,
  regionFirst,
} from './placement.ts';
export { followTubes, type TubeSlack } from './placement-tubes.ts';
export { PROMETHEUS_TARGETS_PATH } from './routes-prometheus.ts';
export { type AuditReport, createRecovery, runAudit } from './transfers/index.ts';
