/**
 * Renders one nats-server (2.9) config from the topology description, in operator mode: the
 * server trusts one operator and preloads the accounts of the buses it carries (one, or all
 * of them in the `single-nats` topology) and the system account into a memory resolver. It
 * holds no user list: users are the JWTs the account signed (credential-plan.ts), whose
 * permissions are the grants; nothing here decides policy.
 */
import { SetupError } from '../../core/index.js'
import { quoted } from './config-value.js'
import { renderCluster } from './server-config-cluster.js'
import { checkTrust } from './server-config-trust.js'
import type { ServerTrust } from './trust.js'
import type { NatsServerSpec, Topology } from './types.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/** Streams here are file-backed; memory only holds JetStream's own bookkeeping. */
const MAX_MEMORY_STORE = 256 * MiB
/** Room left on each JetStream server beyond its streams' `max_bytes` reservations. */
const STORE_HEADROOM = GiB
const HOST = /^[A-Za-z0-9.:-]+$/

export interface RenderOptions {
  /** JetStream store folder of this server (`store_dir`). */
  storeDir: string
  maxPayloadBytes: number
  /** `bus.streamMaxBytes`; sizes `max_file_store` so every stream's reservation fits. */
  streamMaxBytes?: number
  /** The cluster's route secret (actions/route-secrets.ts); required for a node of a three-node bus. */
  routeSecret?: string
}

/** Lame duck mode (a node's planned stop): how long clients have to move before it closes them. */
export const LAME_DUCK_GRACE_MS = 3_000
export const LAME_DUCK_DURATION_MS = 30_000

/** A node's `server_name`, JetStream's peer name for it: `portcullis-dreq-2` (no dots). */
export function peerNameOf(server: Pick<NatsServerSpec, 'name'>): string {
  return `portcullis-${server.name.replaceAll('.', '-')}`
}

export function renderServerConfig(
  topology: Topology,
  server: NatsServerSpec,
  trust: ServerTrust,
  opts: RenderOptions,
): string {
  if (!HOST.test(topology.host)) {
    throw new SetupError('CONFIG_INVALID', `bad bus host ${JSON.stringify(topology.host)}`, {
      key: 'bus.host',
    })
  }
  if (server.buses.length === 0) {
    throw new SetupError('TOPOLOGY_INVALID', `server ${server.name} carries no bus`)
  }
  checkTrust(server, trust)
  const hostPort = (port: number) => quoted(`${topology.host}:${port}`)
  const out = [
    `# ${server.name}: generated from the ${topology.mode} topology description; do not edit.`,
    `server_name: ${quoted(peerNameOf(server))}`,
    `listen: ${hostPort(server.port)}`,
    `max_payload: ${Math.trunc(opts.maxPayloadBytes)}`,
    // A planned stop (SIGUSR2) tells the clients at once, closes them after the grace period,
    // spread over the rest of the duration (at most 1 s apart); 30 s is the shortest allowed.
    `lame_duck_grace_period: "${LAME_DUCK_GRACE_MS / 1000}s"`,
    `lame_duck_duration: "${LAME_DUCK_DURATION_MS / 1000}s"`,
  ]
  if (server.jetstream) {
    const streams = topology.streams.filter((s) => server.buses.includes(s.bus)).length
    const maxFileStore = streams * (opts.streamMaxBytes ?? GiB) + STORE_HEADROOM
    out.push(
      'jetstream {',
      `  store_dir: ${quoted(opts.storeDir)}`,
      `  max_memory_store: ${MAX_MEMORY_STORE}`,
      `  max_file_store: ${maxFileStore}`,
      '}',
    )
  }
  if (server.websocketPort !== undefined)
    out.push(...renderWebsocket(topology, server.websocketPort))
  if (server.cluster)
    out.push(...renderCluster(server.cluster, hostPort(server.cluster.port), opts.routeSecret))
  // Users, their permissions and connection types live in the user JWTs the account signed.
  out.push(
    `operator: ${quoted(trust.operatorJwt)}`,
    `system_account: ${quoted(trust.system.publicKey)}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    ...trust.accounts.flatMap((a) => [`  # ${a.name}`, `  ${a.publicKey}: ${quoted(a.jwt)}`]),
    `  # ${trust.system.name}: needed by JetStream; it has no users`,
    `  ${trust.system.publicKey}: ${quoted(trust.system.jwt)}`,
    '}',
  )
  return out.join('\n') + '\n'
}

/**
 * The link's WebSocket listener. TLS on the link (`link.tls`): it speaks wss:// only, and a
 * plain ws:// client fails its handshake. Without it, ws:// (LAB, or PROD with
 * `link.allowPlaintext`).
 */
function renderWebsocket(topology: Topology, port: number): string[] {
  const tls = topology.link?.tls
  return [
    'websocket {',
    `  listen: ${quoted(`${topology.host}:${port}`)}`,
    ...(tls
      ? [
          '  tls {',
          `    cert_file: ${quoted(tls.certFile)}`,
          `    key_file: ${quoted(tls.keyFile)}`,
          '  }',
        ]
      : ['  no_tls: true']),
    '}',
  ]
}
