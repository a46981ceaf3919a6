/**
 * Tokens for tests, signed with the stack's own dev keys (`<keys>/jwk/*.jwk`) the way the
 * token services sign them: bearer tokens as a client holds them, access tokens as the
 * ingress puts them into the envelope.
 */
import { mintDevToken } from '../../cli/commands/token.js'
import { accessAudienceOf } from '../../core/index.js'
import { jwkPath, signingKeysSecretOf } from '../../cli/jwk-keys.js'
import { mintAccessToken } from '../../token-services/access/mint.js'
import { epochSeconds, loadSigningKeys } from '../../token-services/shared/index.js'

export async function bearerTokenFor(
  keysDir: string,
  roles: string[],
  sub = 'alice',
): Promise<string> {
  return (await mintDevToken({ keysDir, sub, roles, ttlSeconds: 3600 })).token
}

/**
 * An access token as the ingress would carry it to `host`: 15 minutes, the longest allowed,
 * for the audience `portcullis:<host>`.
 */
export async function accessTokenFor(
  keysDir: string,
  roles: string[],
  sub = 'alice',
  host = 'demo',
): Promise<string> {
  const keys = await loadSigningKeys(
    `key file ${jwkPath(keysDir, 'access')}`,
    signingKeysSecretOf(keysDir, 'access'),
  )
  const minted = await mintAccessToken(
    keys,
    { sub, aud: accessAudienceOf(host), idp: 'bearer', claims: { roles }, ttlSeconds: 15 * 60 },
    epochSeconds(Date.now()),
  )
  return minted.token
}
