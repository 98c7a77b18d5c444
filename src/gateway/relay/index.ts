/**
 * @module
 * The gateway's WebSocket relay (`/ws/<tank_id>` on the gateway, option B).
 */
export { createWsRelay, type WsRelay, type WsRelayOptions } from './relay.ts';
