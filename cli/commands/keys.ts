/** `portcullis keys`: every identity's nkey into the git-ignored key folder. */
import { loadConfig } from '../../config/index.js'
import { describeTopology, ensureKeys } from '../../topology/index.js'
import { configFile } from '../args.js'

export async function keys(args: string[]): Promise<number> {
  const config = loadConfig(configFile(args))
  const topology = describeTopology(config)
  const made = ensureKeys(
    config.paths.keys,
    topology.identities.map((i) => i.id),
  )
  for (const key of Object.values(made))
    process.stdout.write(`${key.identity.padEnd(22)} ${key.publicKey}\n`)
  process.stdout.write(`\nseeds are in ${config.paths.keys}/nkeys (never commit them)\n`)
  return 0
}
