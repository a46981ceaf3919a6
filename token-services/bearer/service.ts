/**
 * `BearerTokenService`: the RPC face the ingress (and the token-exchange endpoint) reach
 * through a service binding. Keys are imported on the first call of the isolate; with the
 * secret missing or malformed every call fails `SIGNING_KEYS_MISSING` /
 * `SIGNING_KEYS_INVALID`, naming the binding.
 */
import { WorkerEntrypoint } from 'cloudflare:workers'
import type { BearerTokens } from '../../core/tokens/rpc.js'
import {
  BEARER,
  epochSeconds,
  jwksOf,
  mintBearerToken,
  signingKeysOf,
  type BearerMintRequest,
  type MintResult,
  type PublicJwks,
} from '../shared/index.js'
import type { BearerEnv } from './env.js'
import { checkJti, keepUntilOf, shardOf } from './revoke.js'

const keysOf = signingKeysOf(`binding ${BEARER.keysBinding}`)

function shard(env: BearerEnv, jti: string) {
  return env.REVOCATIONS.get(env.REVOCATIONS.idFromName(shardOf(jti)))
}

export class BearerTokenService extends WorkerEntrypoint<BearerEnv> implements BearerTokens {
  async mint(request: BearerMintRequest): Promise<MintResult> {
    const keys = await keysOf(this.env.BEARER_SIGNING_KEYS)
    return mintBearerToken(keys, request, epochSeconds(Date.now()))
  }

  /** The public keys (current, then previous while it is kept). */
  async jwks(): Promise<PublicJwks> {
    return jwksOf(await keysOf(this.env.BEARER_SIGNING_KEYS))
  }

  /** Revokes the token `jti` whose `exp` is `expiresAt` (seconds since the epoch). */
  async revoke(jti: string, expiresAt: number): Promise<void> {
    await keysOf(this.env.BEARER_SIGNING_KEYS)
    checkJti(jti)
    const keepUntil = keepUntilOf(expiresAt, epochSeconds(Date.now()))
    if (keepUntil !== undefined) await shard(this.env, jti).revoke(jti, keepUntil)
  }

  async isRevoked(jti: string): Promise<boolean> {
    await keysOf(this.env.BEARER_SIGNING_KEYS)
    return shard(this.env, checkJti(jti)).isRevoked(jti)
  }
}
