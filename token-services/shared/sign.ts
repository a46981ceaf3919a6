/** Signing: EdDSA with the current key, its `kid` and `typ: JWT` in the protected header. */
import { SignJWT, type JWTPayload } from 'jose'
import { ALGORITHM, TOKEN_TYPE } from './constants.js'
import type { MintResult } from '../../core/tokens/rpc.js'
import type { SigningKeys } from './keys.js'

export async function signToken(keys: SigningKeys, payload: JWTPayload): Promise<MintResult> {
  const key = keys.current
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: TOKEN_TYPE })
    .sign(key.privateKey)
  return { token, expiresAt: payload.exp!, kid: key.kid }
}
