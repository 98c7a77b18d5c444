/**
 * @module
 * The tank server process: many tanks on one scheduler, served over REST and WebSocket.
 */
export { createTankServer, SERVER_VERSION, type TankServer, type TankServerOptions } from './server.ts';
export { refuseUpgrade, WsClose } from './ws.ts';
export { closeReason } from './ws-close.ts';
