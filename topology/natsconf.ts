/**
 * Renders one nats-server (2.9) config from the topology description. Every user is an nkey
 * user whose permissions are allow-lists copied from its grant; nothing here decides policy.
 */
import { join } from 'node:path'
import type { BusName } from '../core/index.js'
import type { Grant, ServerSpec, Topology } from './describe.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/** Streams here are file-backed; memory only holds JetStream's own bookkeeping. */
const MAX_MEMORY_STORE = 256 * MiB
/** Room left on each JetStream server beyond its streams' `max_bytes` reservations. */
const STORE_HEADROOM = GiB

export interface RenderOptions {
  /** JetStream store folder of this server (`store_dir`); unused for the link server. */
  storeDir: string
  maxPayloadBytes: number
  /** `bus.streamMaxBytes`; sizes `max_file_store` so every stream's reservation fits. */
  streamMaxBytes?: number
}

/** Where a server's generated config and its JetStream store live under the data folder. */
export function serverPaths(
  dataDir: string,
  server: BusName,
): { confPath: string; storeDir: string } {
  return {
    confPath: join(dataDir, 'nats', `${server}.conf`),
    storeDir: join(dataDir, 'nats', server),
  }
}

/** Subjects in grants: NATS tokens plus wildcards, nothing a config parser could misread. */
const SUBJECT = /^[A-Za-z0-9_$-]+(?:\.(?:[A-Za-z0-9_$-]+|\*|>))*$|^>$/
const HOST = /^[A-Za-z0-9.:-]+$/
const PUBLIC_USER_KEY = /^U[A-Z2-7]{55}$/

function str(value: string): string {
  // nats-server reads JSON-style double-quoted strings; control characters never belong here.
  if (/[\x00-\x1f\x7f]/.test(value))
    throw new Error(`control character in config value ${JSON.stringify(value)}`)
  return JSON.stringify(value)
}

function list(values: string[]): string {
  return `[${values.map(str).join(', ')}]`
}

function allowList(server: ServerSpec, grant: Grant, kind: 'publish' | 'subscribe'): string[] {
  const subjects = grant[kind]
  // nats-server reads an empty allow-list as "no restriction": refuse to render one.
  if (subjects.length === 0) {
    throw new Error(`grant of ${grant.identity} on ${server.name} has an empty ${kind} list`)
  }
  for (const s of subjects) {
    if (!SUBJECT.test(s))
      throw new Error(
        `grant of ${grant.identity} on ${server.name}: bad subject ${JSON.stringify(s)}`,
      )
  }
  return subjects
}

function renderUser(
  server: ServerSpec,
  grant: Grant,
  keys: Record<string, { publicKey: string }>,
): string[] {
  if (grant.websocketOnly && server.websocketPort === undefined) {
    throw new Error(
      `${grant.identity} is WebSocket-only but ${server.name} has no WebSocket listener`,
    )
  }
  const publicKey = keys[grant.identity]?.publicKey
  if (!publicKey) throw new Error(`no key for identity ${grant.identity} (server ${server.name})`)
  if (!PUBLIC_USER_KEY.test(publicKey)) {
    throw new Error(`key of ${grant.identity} is not a public user nkey`)
  }
  const lines = [
    '    {',
    `      # ${grant.identity}`,
    `      nkey: ${str(publicKey)}`,
    '      permissions: {',
    `        publish: { allow: ${list(allowList(server, grant, 'publish'))} }`,
    `        subscribe: { allow: ${list(allowList(server, grant, 'subscribe'))} }`,
    '      }',
  ]
  // Every user is pinned to the one transport its grant names, so the link's WebSocket
  // listener admits only the edge identity and the edge identity nothing else.
  lines.push(
    `      allowed_connection_types: ${list([grant.websocketOnly ? 'WEBSOCKET' : 'STANDARD'])}`,
  )
  lines.push('    }')
  return lines
}

export function renderServerConfig(
  topology: Topology,
  server: ServerSpec,
  keys: Record<string, { publicKey: string }>,
  opts: RenderOptions,
): string {
  if (!HOST.test(topology.host)) throw new Error(`bad bus host ${JSON.stringify(topology.host)}`)
  if (server.grants.length === 0) throw new Error(`server ${server.name} has no users`)
  const seen = new Set<string>()
  for (const g of server.grants) {
    if (seen.has(g.identity))
      throw new Error(`identity ${g.identity} granted twice on ${server.name}`)
    seen.add(g.identity)
  }
  const hostPort = (port: number) => str(`${topology.host}:${port}`)
  const out = [
    `# ${server.name}: generated from the ${topology.mode} topology description; do not edit.`,
    `server_name: ${str(`portcullis-${server.name}`)}`,
    `listen: ${hostPort(server.port)}`,
    `max_payload: ${Math.trunc(opts.maxPayloadBytes)}`,
  ]
  if (server.jetstream) {
    const streams = topology.streams.filter((s) => s.server === server.name).length
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
    out.push('websocket {', `  listen: ${hostPort(server.websocketPort)}`, '  no_tls: true', '}')
  }
  out.push(
    'authorization {',
    '  users: [',
    ...server.grants.flatMap((g) => renderUser(server, g, keys)),
    '  ]',
    '}',
  )
  return out.join('\n') + '\n'
}
