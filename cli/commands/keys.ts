/**
 * `portcullis keys`: every identity's nkey and the token services' signing keys (JWK) into the
 * git-ignored key folder. Existing keys are kept, never replaced.
 */
import { loadConfig } from '../../config/index.js'
import { describeTopology, ensureKeys } from '../../topology/index.js'
import { configFile } from '../args.js'
import { ensureJwkKeys } from '../jwk-keys.js'

export async function keys(args: string[]): Promise<number> {
  const config = loadConfig(configFile(args))
  const topology = describeTopology(config)
  const made = ensureKeys(
    config.paths.keys,
    topology.identities.map((i) => i.id),
  )
  for (const key of Object.values(made))
    process.stdout.write(`${key.identity.padEnd(22)} ${key.publicKey}\n`)
  for (const key of await ensureJwkKeys(config.paths.keys))
    process.stdout.write(`${`${key.service} signing key`.padEnd(22)} kid ${key.kid}\n`)
  process.stdout.write(
    `\nseeds are in ${config.paths.keys}/nkeys, signing keys in ${config.paths.keys}/jwk` +
      ' (never commit them)\n',
  )
  return 0
}
