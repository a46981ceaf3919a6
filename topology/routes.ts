/**
 * The route credential of a three-node bus: one random secret per cluster, made at first run
 * into the key folder (`routes/<server>.secret`, 0600 in a 0700 folder, never committed) and
 * read when a node's config is rendered. It is the only credential the cluster port accepts,
 * and no client port accepts it: routes authenticate with a user and password of their own,
 * which operator mode never admits as a client, while the clients' nkey/JWT identities are
 * unknown to the cluster listener.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { natsServersOf, type Topology } from './describe.js'
import { privateFolderOf, readPrivateFile } from './keys.js'

/** The user name every route presents; the secret is what proves it. */
export const ROUTE_USER = 'route'
/** 32 random bytes, base64url: nothing in it needs escaping in a route URL. */
const SECRET_BYTES = 32
const SECRET = /^[A-Za-z0-9_-]{43}$/

export function routeSecretPath(dir: string, server: string): string {
  return join(dir, 'routes', `${server}.secret`)
}

/** Creates the route secret of every clustered server that has none yet; never replaces one. */
export function ensureRouteSecrets(dir: string, topology: Pick<Topology, 'servers'>): void {
  const clustered = new Set(natsServersOf(topology).flatMap((s) => (s.cluster ? [s.group] : [])))
  for (const server of clustered) {
    const path = routeSecretPath(dir, server)
    if (existsSync(path)) continue
    privateFolderOf(path)
    try {
      // `wx`: two processes racing here cannot clobber a secret the other already used.
      writeFileSync(path, `${randomBytes(SECRET_BYTES).toString('base64url')}\n`, {
        mode: 0o600,
        flag: 'wx',
      })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
}

/** Reads a cluster's route secret; refuses a file others can read or one that is not a secret. */
export function readRouteSecret(dir: string, server: string): string {
  const path = routeSecretPath(dir, server)
  const secret = readPrivateFile(path, 'route secret', `the ${server} cluster`)
    .toString('utf8')
    .trim()
  if (!SECRET.test(secret)) throw new Error(`route secret ${path} is not a route secret`)
  return secret
}
