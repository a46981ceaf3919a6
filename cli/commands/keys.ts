/**
 * `portcullis keys`: every identity's nkey and bus credentials (operator-mode JWTs), and the
 * token services' signing keys (JWK), into the git-ignored key folder. Existing keys are
 * kept; credentials are re-issued when their grant changed or they near expiry.
 *
 * `portcullis keys rotate <identity>`: a new key and new credentials for one identity, its
 * old key revoked. Either way, account JWTs that changed (new revocations) go into the
 * servers' configs and are pushed to the servers that run: nothing restarts, only the
 * connections the revocations void are cut, and those components reconnect with the new
 * credentials on disk.
 */
import { loadConfig, type LoadedConfig } from '../../config/index.js'
import {
  applyAccountChanges,
  describeTopology,
  edgeIdentity,
  ensureCredentials,
  rotateIdentity,
  type CredentialsResult,
  type Topology,
} from '../../topology/index.js'
import { configFile } from '../args.js'
import { ensureJwkKeys } from '../jwk-keys.js'
import { ensureAuditSigningKey } from '../../audit/store/index.js'
import { failureReason } from '../../core/index.js'

const USAGE = 'usage: portcullis keys [rotate <identity>] [--config file]\n'

const day = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().slice(0, 10)

/** New account JWTs into the servers' configs and, where a server runs, pushed to it. */
async function applyToServers(
  config: LoadedConfig,
  topology: Topology,
  result: CredentialsResult,
): Promise<void> {
  for (const { bus, state } of await applyAccountChanges(config, topology, result)) {
    const said =
      state === 'updated' ? 'account updated' : 'not running: it starts with the new account'
    process.stdout.write(`nats-${bus.padEnd(16)} ${said}\n`)
  }
}

function printCredentials(result: CredentialsResult, topology: Topology): void {
  for (const identity of topology.identities) {
    const creds = result.creds.filter((c) => c.identity === identity.id)
    process.stdout.write(`${identity.id.padEnd(22)} ${creds[0]?.publicKey ?? ''}\n`)
    for (const c of creds) {
      const issued = c.issued ? `  issued: ${c.issued}` : ''
      process.stdout.write(`  ${c.bus.padEnd(20)} expires ${day(c.expiresAt)}${issued}\n`)
    }
  }
  for (const r of result.revoked)
    process.stdout.write(`revoked on ${r.bus}: ${r.identity} ${r.publicKey}\n`)
}

export async function keys(args: string[]): Promise<number> {
  const [sub, identity] = args
  const rotating = sub === 'rotate'
  if ((sub !== undefined && !sub.startsWith('--') && !rotating) || (rotating && !identity)) {
    process.stderr.write(USAGE)
    return 2
  }
  const config = loadConfig(configFile(args))
  const topology = describeTopology(config)
  const keysDir = config.paths.keys
  const opts = { ttlSeconds: config.bus.credentialsTtlSeconds }
  try {
    if (rotating) {
      const rotation = await rotateIdentity(keysDir, topology, identity!, opts)
      process.stdout.write(
        `${identity} rotated: ${rotation.previousKey ?? '(no key)'} -> ${rotation.publicKey}\n` +
          `new credentials on ${rotation.buses.join(', ')}; the old key is revoked there\n`,
      )
      await applyToServers(config, topology, rotation.result)
      if (topology.identities.some((i) => i.id === identity && i.kind === 'edge')) {
        process.stdout.write(
          `the edge reads its credentials at start: put ${keysDir}/creds/link/${identity}.creds ` +
            'with `wrangler secret put LINK_CREDS` (or restart `portcullis up`)\n',
        )
      }
      return 0
    }
    const result = await ensureCredentials(keysDir, topology, opts)
    printCredentials(result, topology)
    for (const key of await ensureJwkKeys(keysDir))
      process.stdout.write(`${`${key.service} signing key`.padEnd(22)} kid ${key.kid}\n`)
    const audit = ensureAuditSigningKey(keysDir)
    process.stdout.write(`${'audit checkpoint key'.padEnd(22)} kid ${audit.keyId}\n`)
    await applyToServers(config, topology, result)
    process.stdout.write(
      `\ncredentials are in ${keysDir}/creds/<bus>/<identity>.creds, seeds in ${keysDir}/nkeys,` +
        ` signing keys in ${keysDir}/jwk and ${keysDir}/audit (never commit them); the edge's is` +
        ` creds/link/${edgeIdentity(config.edge.id)}.creds\n`,
    )
    return 0
  } catch (e) {
    process.stderr.write(`portcullis keys: ${failureReason(e)}\n`)
    return 1
  }
}
