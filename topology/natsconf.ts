/**
 * Renders one nats-server (2.9) config from the topology description, in operator mode: the
 * server trusts one operator and preloads the accounts of the buses it carries (one, or all
 * of them in the `single-nats` topology) and the system account into a memory resolver. It holds no user list and no secret: users are the JWTs the account
 * signed (credentials.ts), whose permissions are the grants; nothing here decides policy.
 */
import { join } from 'node:path'
import { decode, type Account, type ClaimsData, type Operator } from '@nats-io/jwt'
import type { Config } from '../config/index.js'
import type { NatsServerSpec, Topology } from './describe.js'
import { serverTrust, type BusTrust, type ServerTrust } from './credentials.js'
import { writePrivateFile } from './keys.js'
import { readRouteSecret, ROUTE_USER } from './routes.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/** Streams here are file-backed; memory only holds JetStream's own bookkeeping. */
const MAX_MEMORY_STORE = 256 * MiB
/** Room left on each JetStream server beyond its streams' `max_bytes` reservations. */
const STORE_HEADROOM = GiB

export interface RenderOptions {
  /** JetStream store folder of this server (`store_dir`). */
  storeDir: string
  maxPayloadBytes: number
  /** `bus.streamMaxBytes`; sizes `max_file_store` so every stream's reservation fits. */
  streamMaxBytes?: number
  /** The cluster's route secret (routes.ts); required for a node of a three-node bus. */
  routeSecret?: string
}

/** Where a server's generated config and its JetStream store live under the data folder. */
export function serverPaths(
  dataDir: string,
  server: string,
): { confPath: string; storeDir: string } {
  return {
    confPath: join(dataDir, 'nats', `${server}.conf`),
    storeDir: join(dataDir, 'nats', server),
  }
}

const HOST = /^[A-Za-z0-9.:-]+$/
const ACCOUNT_KEY = /^A[A-Z2-7]{55}$/

function str(value: string): string {
  // nats-server reads JSON-style double-quoted strings; control characters never belong here.
  if (/[\x00-\x1f\x7f]/.test(value))
    throw new Error(`control character in config value ${JSON.stringify(value)}`)
  return JSON.stringify(value)
}

function claims<T>(jwt: string, what: string): ClaimsData<T> {
  try {
    return decode<T>(jwt)
  } catch {
    throw new Error(`${what} is not a valid signed JWT`)
  }
}

/**
 * Refuses trust material that does not chain: a self-signed operator naming the system
 * account, and accounts signed by that operator with the public keys they claim.
 */
function checkTrust(server: NatsServerSpec, trust: ServerTrust): void {
  const op = claims<Operator>(trust.operatorJwt, 'the operator JWT')
  if (op.iss !== op.sub || op.nats.type !== 'operator') {
    throw new Error('the operator JWT is not a self-signed operator')
  }
  if (op.nats.system_account !== trust.system.publicKey) {
    throw new Error('the operator JWT names another system account')
  }
  if (trust.accounts.length !== server.buses.length) {
    throw new Error(
      `server ${server.name} carries ${server.buses.length} buses, given ${trust.accounts.length} accounts`,
    )
  }
  for (const account of [...trust.accounts, trust.system]) {
    if (!/^[A-Za-z0-9_-]+$/.test(account.name)) {
      throw new Error(`bad account name ${JSON.stringify(account.name)}`)
    }
    if (!ACCOUNT_KEY.test(account.publicKey)) {
      throw new Error(`account ${account.name} of ${server.name}: not a public account key`)
    }
    const c = claims<Account>(account.jwt, `the ${account.name} account JWT`)
    if (c.sub !== account.publicKey || c.iss !== op.sub || c.nats.type !== 'account') {
      throw new Error(`the ${account.name} account JWT is not this operator's ${account.name}`)
    }
  }
}

const ROUTE_SECRET = /^[A-Za-z0-9_-]{32,}$/
const ROUTE_URL = /^nats-route:\/\/([A-Za-z0-9.:-]+:\d+)$/

/**
 * The cluster block of one node: the route listener admits only the route user with the
 * cluster's secret (a client's nkey or JWT means nothing there), and the node dials its two
 * peers with the same. `no_advertise`: clients are given every node's URL by the topology,
 * not by gossip, so what a client dials is what the config says.
 */
function renderCluster(
  cluster: NonNullable<NatsServerSpec['cluster']>,
  listen: string,
  secret: string | undefined,
): string[] {
  if (secret === undefined || !ROUTE_SECRET.test(secret)) {
    throw new Error(`cluster ${cluster.name} needs its route secret (run \`portcullis keys\`)`)
  }
  const routes = cluster.routes.map((url) => {
    const m = ROUTE_URL.exec(url)
    if (!m) throw new Error(`bad route URL ${JSON.stringify(url)}`)
    return `    ${str(`nats-route://${ROUTE_USER}:${secret}@${m[1]!}`)}`
  })
  if (!routes.length) throw new Error(`cluster ${cluster.name} has no peers`)
  return [
    'cluster {',
    `  name: ${str(cluster.name)}`,
    `  listen: ${listen}`,
    '  no_advertise: true',
    '  authorization {',
    `    user: ${str(ROUTE_USER)}`,
    `    password: ${str(secret)}`,
    '    timeout: 2',
    '  }',
    '  routes: [',
    ...routes,
    '  ]',
    '}',
  ]
}

/** Lame duck mode (a node's planned stop): how long clients have to move before it closes them. */
export const LAME_DUCK_GRACE_MS = 3_000
export const LAME_DUCK_DURATION_MS = 30_000

export function renderServerConfig(
  topology: Topology,
  server: NatsServerSpec,
  trust: ServerTrust,
  opts: RenderOptions,
): string {
  if (!HOST.test(topology.host)) throw new Error(`bad bus host ${JSON.stringify(topology.host)}`)
  if (server.buses.length === 0) throw new Error(`server ${server.name} carries no bus`)
  checkTrust(server, trust)
  const hostPort = (port: number) => str(`${topology.host}:${port}`)
  const out = [
    `# ${server.name}: generated from the ${topology.mode} topology description; do not edit.`,
    `server_name: ${str(peerNameOf(server))}`,
    `listen: ${hostPort(server.port)}`,
    `max_payload: ${Math.trunc(opts.maxPayloadBytes)}`,
    // A planned stop (SIGUSR2) tells the clients at once, closes them after the grace period,
    // spread over the rest of the duration (at most 1 s apart); 30 s is the shortest allowed.
    `lame_duck_grace_period: "${LAME_DUCK_GRACE_MS / 1000}s"`,
    `lame_duck_duration: "${LAME_DUCK_DURATION_MS / 1000}s"`,
  ]
  if (server.jetstream) {
    const streams = topology.streams.filter((s) => server.buses.includes(s.server)).length
    const maxFileStore = streams * (opts.streamMaxBytes ?? GiB) + STORE_HEADROOM
    out.push(
      'jetstream {',
      `  store_dir: ${str(opts.storeDir)}`,
      `  max_memory_store: ${MAX_MEMORY_STORE}`,
      `  max_file_store: ${maxFileStore}`,
      '}',
    )
  }
  if (server.websocketPort !== undefined) {
    // TLS on the link (`link.tls`): the listener speaks wss:// only; a plain ws:// client fails
    // its handshake. Without it, ws:// (LAB, or PROD with `link.allowPlaintext`).
    const tls = topology.link?.tls
    out.push(
      'websocket {',
      `  listen: ${hostPort(server.websocketPort)}`,
      ...(tls
        ? [
            '  tls {',
            `    cert_file: ${str(tls.certFile)}`,
            `    key_file: ${str(tls.keyFile)}`,
            '  }',
          ]
        : ['  no_tls: true']),
      '}',
    )
  }
  if (server.cluster)
    out.push(...renderCluster(server.cluster, hostPort(server.cluster.port), opts.routeSecret))
  // Users, their permissions and connection types live in the user JWTs the account signed.
  out.push(
    `operator: ${str(trust.operatorJwt)}`,
    `system_account: ${str(trust.system.publicKey)}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    ...trust.accounts.flatMap((a) => [`  # ${a.name}`, `  ${a.publicKey}: ${str(a.jwt)}`]),
    `  # ${trust.system.name}: needed by JetStream; it has no users`,
    `  ${trust.system.publicKey}: ${str(trust.system.jwt)}`,
    '}',
  )
  return out.join('\n') + '\n'
}

/** Renders and writes one server's config under the data folder; returns its paths. */
export function writeServerConfig(
  config: Pick<Config, 'bus' | 'paths'>,
  topology: Topology,
  server: NatsServerSpec,
  trust: BusTrust,
): { confPath: string; storeDir: string } {
  const paths = serverPaths(config.paths.data, server.name)
  const text = renderServerConfig(topology, server, serverTrust(trust, server.buses), {
    storeDir: paths.storeDir,
    maxPayloadBytes: config.bus.maxPayloadBytes,
    streamMaxBytes: config.bus.streamMaxBytes,
    ...(server.cluster && { routeSecret: readRouteSecret(config.paths.keys, server.group) }),
  })
  writePrivateFile(paths.confPath, text)
  return paths
}

/** A node's `server_name`, JetStream's peer name for it: `portcullis-dreq-2` (no dots). */
export function peerNameOf(server: Pick<NatsServerSpec, 'name'>): string {
  return `portcullis-${server.name.replaceAll('.', '-')}`
}
