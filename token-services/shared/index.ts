export * from './constants.js'
export * from './errors.js'
export * from './keys.js'
export * from './claims.js'
export * from './sign.js'
export * from './bearer.js'
export * from './generate.js'
export * from './not-found.js'
export type {
  AccessMintRequest,
  BearerMintRequest,
  MintResult,
  PublicJwk,
  PublicJwks,
} from '../../core/tokens/rpc.js'
