/**
 * @module
 * The signed HTTP client to tank servers (`client.ts`): where a call for server X goes is one
 * function (`resolveServer`: discovery's address, or the mesh's Envoy upstream), every call has
 * a deadline and trace context, and fails as an `ApiError`. The gateway and a tank server
 * driving a tube's transfer both use it.
 */
export {
  type CreatedTank,
  createServerClient,
  type HandedOffTank,
  type InternalCreate,
  type ResolveServer,
  type ServerClient,
  type ServerClientOptions,
  type ServerRequest,
  type ServerTarget,
  throughSidecar,
} from './client.ts';
