/**
 * The route credential of a three-node bus: one random secret per cluster, made at first run
 * into the key folder (`routes/<server>.secret`, 0600 in a 0700 folder, never committed) and
 * read when a node's config is rendered. It is the only credential the cluster port accepts,
 * and no client port accepts it: routes authenticate with a user and password of their own,
 * which operator mode never admits as a client, while the clients' nkey/JWT identities are
 * unknown to the cluster listener.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { SetupError } from '../../core/index.js'
import { natsServersOf } from '../description/nats-servers.js'
import type { Topology } from '../description/types.js'
import { routeSecretPath } from './key-paths.js'
import { createPrivateFileOnce, readPrivateFile } from './private-files.js'

/** 32 random bytes, base64url: nothing in it needs escaping in a route URL. */
const SECRET_BYTES = 32
const SECRET = /^[A-Za-z0-9_-]{43}$/

/** Creates the route secret of every clustered server that has none yet; never replaces one. */
export function ensureRouteSecrets(dir: string, topology: Pick<Topology, 'buses'>): void {
  const clustered = new Set(natsServersOf(topology).flatMap((s) => (s.cluster ? [s.group] : [])))
  for (const server of clustered) {
    const path = routeSecretPath(dir, server)
    if (existsSync(path)) continue
    createPrivateFileOnce(path, `${randomBytes(SECRET_BYTES).toString('base64url')}\n`)
  }
}

/** Reads a cluster's route secret; refuses a file others can read or one that is not a secret. */
export function readRouteSecret(dir: string, server: string): string {
  const path = routeSecretPath(dir, server)
  const secret = readPrivateFile(path, 'route secret', `the ${server} cluster`)
    .toString('utf8')
    .trim()
  if (!SECRET.test(secret)) {
    throw new SetupError('KEY_INVALID', `route secret ${path} is not a route secret`, {
      file: path,
    })
  }
  return secret
}
