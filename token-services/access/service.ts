/**
 * `AccessTokenService`: the RPC face the ingress reaches through a service binding. Keys are
 * imported on the first call of the isolate; with the secret missing or malformed every call
 * fails `SIGNING_KEYS_MISSING` / `SIGNING_KEYS_INVALID`, naming the binding.
 */
import { WorkerEntrypoint } from 'cloudflare:workers'
import type { AccessTokens } from '../../core/tokens/rpc.js'
import {
  ACCESS,
  epochSeconds,
  jwksOf,
  signingKeysOf,
  type AccessMintRequest,
  type MintResult,
  type PublicJwks,
} from '../shared/index.js'
import type { AccessEnv } from './env.js'
import { mintAccessToken } from './mint.js'

const keysOf = signingKeysOf(`binding ${ACCESS.keysBinding}`)

export class AccessTokenService extends WorkerEntrypoint<AccessEnv> implements AccessTokens {
  async mint(request: AccessMintRequest): Promise<MintResult> {
    const keys = await keysOf(this.env.ACCESS_SIGNING_KEYS)
    return mintAccessToken(keys, request, epochSeconds(Date.now()))
  }

  /** The public keys (current, then previous while it is kept). */
  async jwks(): Promise<PublicJwks> {
    return jwksOf(await keysOf(this.env.ACCESS_SIGNING_KEYS))
  }
}
