/**
 * @module
 * Auth: user JWTs (verification, dev minting, the bearer middleware), tank permission
 * levels, and signed internal requests. Failures are `AuthError`s with a stable `code` and
 * `status`; the app's one `onError` turns them into problem+json.
 */
export { type AuthEnv, type BearerAuthOptions, bearerAuth, GUEST, isGuest } from './bearer.ts';
export {
  AuthError,
  type AuthErrorCode,
  CsrfRefusedError,
  ExpiredTokenError,
  ForbiddenError,
  InvalidSignatureError,
  InvalidTokenError,
  KeysUnavailableError,
  MissingTokenError,
  SignatureFailure,
} from './errors.ts';
export { type RequestHeaders, tokenFromRequest } from './headers.ts';
export { type InternalAuthOptions, internalAuth } from './internal-auth.ts';
export {
  type AuthUser,
  createTokenMinter,
  createTokenVerifier,
  type MintTokenOptions,
  mintToken,
  type TokenMinter,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './jwt.ts';
export {
  hasLevel,
  isPermissionLevel,
  type LookupLevel,
  type PermissionEnv,
  PermissionLevel,
  type RequireLevelOptions,
  requireLevel,
} from './permissions.ts';
export { hasScope, OPERATOR_SCOPE, requireScope } from './scopes.ts';
export {
  assertFromPage,
  endSession,
  forwardedAuthorization,
  PAGE_HEADER,
  PAGE_HEADER_VALUE,
  requestToken,
  SESSION_COOKIE,
  startSession,
} from './session.ts';
export {
  createInternalVerifier,
  type InternalVerifier,
  type InternalVerifierOptions,
  SignatureHeader,
  type SignedBody,
  type SignedRequest,
  type SignRequestOptions,
  signRequest,
} from './signing.ts';
