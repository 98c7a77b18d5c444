/**
 * @module
 * HTTP plumbing shared by the tank servers and the gateway: the OpenAPI app factory and
 * problem+json errors.
 */
export {
  type CreateApiOptions,
  createApi,
  createRoute,
  describeIssues,
  type LargeBody,
  OpenAPIHono,
  ProblemSchema,
  problemResponses,
  z,
} from './api.ts';
export { answerClientErrors } from './client-errors.ts';
export { createNodeFetch, type NodeFetch, type NodeFetchOptions } from './node-fetch.ts';
export { type AccessLogLevel, type ObserveOptions, observe } from './observe.ts';
export {
  ApiError,
  type ApiErrorOptions,
  isProblemCode,
  notFoundHandler,
  type Problem,
  type ProblemCode,
  problemHandler,
  problemHeaders,
  problemResponse,
  problemStatus,
  problemType,
  type RelayedProblem,
  STATUS_BY_CODE,
  type StatusOf,
  toProblem,
} from './problem.ts';
export {
  API_CSP,
  type ContentSecurityPolicyOptions,
  type SecurityHeadersOptions,
  securityHeaders,
  WEB_APP_CSP,
} from './secure-headers.ts';
