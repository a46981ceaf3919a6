export {
  BEARER_RESERVED_CLAIMS,
  EXTERNAL_ALGORITHMS,
  INTERNAL_ALGORITHMS,
  ISSUERS,
  KEYSET_DEFAULTS,
  KIND_DEFAULTS,
  RESERVED_CLAIMS,
  ROLE_NAME_PATTERN,
  TOKEN_KIND_NAMES,
  type TokenAlgorithm,
  type TokenKindName,
} from './constants.js'
export { isTokenError, TokenError, type TokenErrorCode } from './errors.js'
export { ACCESS_AUDIENCE_PREFIX, accessAudienceOf, GATEWAY_AUDIENCE } from './audience.js'
export {
  JTI_PATTERN,
  readTokenServiceError,
  TOKEN_SERVICE_ERROR_CODES,
  tokenServiceMessage,
  type AccessMintRequest,
  type AccessTokens,
  type BearerMintRequest,
  type BearerTokens,
  type MintResult,
  type PublicJwk,
  type PublicJwks,
  type TokenServiceErrorCode,
  type TokenServices,
} from './rpc.js'
export {
  defineTokenKind,
  defineTokenKinds,
  type KeySource,
  type TokenKind,
  type TokenKindConfig,
} from './kinds.js'
export { JwksError, parseJwks, type JwksLimits, type PublicKeyRecord } from './jwks.js'
export {
  PinnedKey,
  PinnedKeySet,
  type FetchJwks,
  type KeySetStatus,
  type PinnedKeySetOptions,
} from './keyset.js'
export { readBearerToken } from './bearer.js'
export {
  externalKindOf,
  IDENTITY_PROVIDER_DEFAULTS,
  IDENTITY_PROVIDER_LIMITS,
  mapExternalIdentity,
  readIdentityProviders,
  type IdentityProvider,
  type IdentityProviderConfig,
  type MappedIdentity,
} from './identity-providers.js'
export {
  createTokenVerifier,
  type ExpectedKinds,
  type TokenVerifier,
  type TokenVerifierOptions,
  type VerifiedToken,
  type VerifyOptions,
} from './verify.js'
export type { TokenClaims } from './steps.js'
