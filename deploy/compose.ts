/**
 * The pod's compose file, generated from the config and the topology description so the two
 * cannot drift: one service per nats-server of the topology, one per on-prem identity (the
 * admin identity is the one-shot `provision` step), the demo upstream when an upstream points
 * at it, and `pod`, which holds the network namespace they all share and publishes the link's
 * WebSocket port, the only port that leaves the pod.
 */
import { basename, dirname, posix, relative, sep } from 'node:path'
import { stringify } from 'yaml'
import { loadConfig, watchedFilesOf, type LoadedConfig } from '../config/index.js'
import { METRICS_ENV, OVERRIDES_ENV } from '../runtime/index.js'

/** The first metrics port of the pod's processes when the config leaves it to the kernel. */
export const POD_METRICS_PORT = 9464
import {
  busesOf,
  describeTopology,
  LAME_DUCK_DURATION_MS,
  natsNodesOf,
  natsServersOf,
  serverPaths,
  type Identity,
} from '../topology/index.js'
import {
  bundlePath,
  CONFIG_DIR,
  DATA_DIR,
  IMAGE,
  KEYS_DIR,
  NATS_ENTRY,
  type ImageMain,
} from './image.js'

/**
 * What every container's config differs in from the host's, passed to each the same way.
 * All services share one network namespace, so the servers listen on every interface of it
 * (the link's WebSocket listener must be reachable through the published port) and the
 * clients dial the same host they name; keys and stores sit at the image's paths.
 */
export const POD_OVERRIDES = {
  bus: { host: '0.0.0.0' },
  paths: { keys: KEYS_DIR, data: DATA_DIR },
} as const

/** The service that owns the pod's network namespace. */
export const POD_SERVICE = 'pod'
export const POD_NETWORK = 'pod'
export const PROVISION_SERVICE = 'provision'
export const DEMO_SERVICE = 'demo'

export interface Mount {
  type: 'bind' | 'volume'
  source: string
  target: string
  read_only?: boolean
}

export interface Port {
  target: number
  published: string
  host_ip: string
  protocol: 'tcp'
}

export type Condition = 'service_started' | 'service_completed_successfully'

export interface Service {
  image: string
  build?: { context: string; dockerfile: string }
  pull_policy: 'build' | 'never'
  command: string[]
  environment?: Record<string, string>
  network_mode?: string
  networks?: string[]
  ports?: Port[]
  volumes?: Mount[]
  depends_on?: Record<string, { condition: Condition }>
  /** A clustered link node stops in lame duck mode, so its clients move first. */
  stop_signal?: 'SIGUSR2'
  stop_grace_period?: string
  init: true
  restart: 'unless-stopped' | 'no'
  read_only: true
  tmpfs: string[]
  cap_drop: ['ALL']
  security_opt: ['no-new-privileges:true']
}

export interface ComposeFile {
  name: string
  services: Record<string, Service>
  networks: Record<string, { driver: 'bridge' }>
  volumes: Record<string, Record<string, never>>
}

export function natsService(server: string): string {
  return `nats-${server}`
}

/** The stage each on-prem identity runs as; undefined for an identity that is not in the pod. */
function mainOf(identity: Identity): { main: ImageMain; args: string[] } | undefined {
  switch (identity.kind) {
    case 'edge':
      return undefined // runs at the edge and reaches the pod through the published port
    case 'admin':
      return { main: 'deploy/pod/provision.ts', args: [] }
    case 'relay':
      return { main: 'bridge/relay/main.ts', args: [] }
    case 'request-validator':
      return { main: 'validators/request/main.ts', args: [] }
    case 'backend':
      if (!identity.host) {
        throw new Error(
          `unreachable: backend identity ${identity.id} names no host (the topology gives each one)`,
        )
      }
      return { main: 'backend/main.ts', args: ['--host', identity.host] }
    case 'response-validator':
      return { main: 'validators/response/main.ts', args: [] }
    case 'audit-sink':
      return { main: 'audit/sink/main.ts', args: [] }
    default: {
      const kind: never = identity.kind
      throw new Error(`unreachable: no pod service for identity kind ${String(kind)}`)
    }
  }
}

/**
 * The pod services of one stage identity: `<id>` for one replica, `<id>.<i>` for each of the
 * N > 1 replicas the config's `replicas` asks for, all on the stage's one durable consumer.
 */
export function replicaServices(config: LoadedConfig, identity: Identity): string[] {
  const count =
    identity.kind === 'relay'
      ? config.replicas.relay
      : identity.kind === 'request-validator'
        ? config.replicas.requestValidator
        : identity.kind === 'backend'
          ? config.replicas.backend
          : identity.kind === 'response-validator'
            ? config.replicas.responseValidator
            : 1
  if (count <= 1) return [identity.id]
  return Array.from({ length: count }, (_, i) => `${identity.id}.${i + 1}`)
}

/** An upstream the demo upstream serves: a loopback base URL on the demo's port. */
function servesDemo(config: LoadedConfig): boolean {
  return Object.values(config.upstreams).some((u) => {
    const url = new URL(u.baseUrl)
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
    return ['127.0.0.1', 'localhost'].includes(url.hostname) && port === config.demo.port
  })
}

export interface PodOptions {
  /** The config file the pod runs; its folder anchors its relative paths, as on the host. */
  configFile: string
  /** The folder the compose file is written to: bind-mount sources are relative to it. */
  composeDir: string
  /** The repository, the image's build context. */
  repoRoot: string
}

export function podCompose(opts: PodOptions): ComposeFile {
  const host = loadConfig(opts.configFile)
  const config = loadConfig(opts.configFile, POD_OVERRIDES)
  const topology = describeTopology(config)
  const fromCompose = (path: string) => {
    const r = relative(opts.composeDir, path)
    return r.startsWith('.') || r.startsWith('/') ? r : `./${r}`
  }
  const configTarget = posix.join(CONFIG_DIR, basename(config.file))
  // Every file the config reads besides itself (each file of each OpenAPI document, the link's
  // certificate and key): the container resolves the same relative paths against its own
  // config folder, so each is mounted where that lands.
  const documents = new Map<string, string>()
  const read = [
    ...watchedFilesOf(host).filter((f) => f !== host.file),
    ...(host.link.tls ? [host.link.tls.certFile, host.link.tls.keyFile] : []),
  ]
  for (const file of read) {
    const target = posix.resolve(
      CONFIG_DIR,
      relative(dirname(host.file), file).split(sep).join('/'),
    )
    documents.set(target, file)
  }
  const readOnly: Mount[] = [
    { type: 'bind', source: fromCompose(host.file), target: configTarget, read_only: true },
    ...[...documents].map(([target, source]): Mount => ({
      type: 'bind',
      source: fromCompose(source),
      target,
      read_only: true,
    })),
    { type: 'bind', source: fromCompose(host.paths.keys), target: KEYS_DIR, read_only: true },
  ]
  const hardened = (): Pick<
    Service,
    'init' | 'read_only' | 'tmpfs' | 'cap_drop' | 'security_opt'
  > => ({
    init: true,
    read_only: true,
    tmpfs: ['/tmp'],
    cap_drop: ['ALL'],
    security_opt: ['no-new-privileges:true'],
  })
  const member = (
    command: string[],
    extra: Partial<Service> = {},
    restart: Service['restart'] = 'unless-stopped',
  ): Service => ({
    image: IMAGE,
    pull_policy: 'never',
    command,
    environment: { [OVERRIDES_ENV]: JSON.stringify(POD_OVERRIDES), ...extra.environment },
    network_mode: `service:${POD_SERVICE}`,
    volumes: [...readOnly, ...(extra.volumes ?? [])],
    ...(extra.depends_on && { depends_on: extra.depends_on }),
    ...(extra.stop_signal && { stop_signal: extra.stop_signal }),
    ...(extra.stop_grace_period && { stop_grace_period: extra.stop_grace_period }),
    restart,
    ...hardened(),
  })
  const node = (main: ImageMain, args: string[]) => [
    'node',
    '--enable-source-maps',
    bundlePath(main),
    '--config',
    configTarget,
    ...args,
  ]

  // The link's WebSocket listener on each of its nodes (one, or three with `bus.nodes: 3`).
  const linkNodes = natsServersOf(topology).filter((s) => s.websocketPort !== undefined)
  const services: Record<string, Service> = {
    [POD_SERVICE]: {
      image: IMAGE,
      build: { context: fromCompose(opts.repoRoot), dockerfile: 'deploy/Dockerfile' },
      pull_policy: 'build',
      command: ['sleep', 'infinity'],
      networks: [POD_NETWORK],
      ...(linkNodes.length > 0 && {
        ports: linkNodes.map((link): Port => ({
          target: link.websocketPort!,
          published: String(link.websocketPort),
          host_ip: '127.0.0.1',
          protocol: 'tcp',
        })),
      }),
      restart: 'unless-stopped',
      ...hardened(),
    },
  }
  const volumes: ComposeFile['volumes'] = {}
  for (const server of natsServersOf(topology)) {
    const name = natsService(server.name)
    // Its config, pid file and JetStream store: the only place a server writes.
    volumes[name] = {}
    const folder = posix.dirname(serverPaths(config.paths.data, server.name).confPath)
    // A clustered link node stops in lame duck mode (`docker compose restart` or `stop`): the
    // edge and the relays move to the other nodes before it closes them (bus/README.md).
    const lameDuck = server.cluster !== undefined && server.buses.includes('link')
    services[name] = member(['sh', NATS_ENTRY, '--config', configTarget, '--server', server.name], {
      volumes: [{ type: 'volume', source: name, target: folder }],
      ...(lameDuck && {
        stop_signal: 'SIGUSR2' as const,
        stop_grace_period: `${(LAME_DUCK_DURATION_MS + 5_000) / 1000}s`,
      }),
    })
  }
  // Every node of every bus the identity uses (a client is given them all).
  const started = (identity: string) =>
    Object.fromEntries(
      busesOf(topology, identity)
        .flatMap((b) => natsNodesOf(topology, b.name))
        .map((n) => [natsService(n.name), { condition: 'service_started' as const }]),
    )
  const add = (name: string, service: Service) => {
    if (services[name]) throw new Error(`unreachable: two pod services named ${name}`)
    services[name] = service
  }
  // The admin identity only provisions: a one-shot step every stage waits for.
  const admins = topology.identities.filter((i) => i.kind === 'admin')
  for (const admin of admins) {
    const run = mainOf(admin)!
    add(
      PROVISION_SERVICE,
      member(node(run.main, run.args), { depends_on: started(admin.id) }, 'no'),
    )
  }
  // Each process of the pod serves /metrics on the pod's loopback, at the configured port
  // (default POD_METRICS_PORT) plus its index in this order: the ports a scraper is given.
  let metricsIndex = 0
  const metricsBase = config.metrics.port || POD_METRICS_PORT
  const metrics = (): Record<string, string> =>
    config.metrics.enabled
      ? { [METRICS_ENV]: `${config.metrics.host}:${metricsBase + metricsIndex++}` }
      : {}
  if (servesDemo(host))
    add(DEMO_SERVICE, member(node('demo/main.ts', []), { environment: metrics() }))
  for (const identity of topology.identities) {
    const run = mainOf(identity)
    if (!run || identity.kind === 'admin') continue
    // The audit sink's embedded store (and its lock) live in the data folder: its own volume.
    const store = identity.kind === 'audit-sink'
    if (store) volumes[identity.id] = {}
    for (const service of replicaServices(config, identity))
      add(
        service,
        member(node(run.main, run.args), {
          environment: metrics(),
          ...(store && {
            volumes: [{ type: 'volume' as const, source: identity.id, target: DATA_DIR }],
          }),
          depends_on: {
            ...(admins.length && {
              [PROVISION_SERVICE]: { condition: 'service_completed_successfully' as const },
            }),
            ...started(identity.id),
          },
        }),
      )
  }
  return {
    name: 'portcullis',
    services,
    networks: { [POD_NETWORK]: { driver: 'bridge' } },
    volumes,
  }
}

export const COMPOSE_HEADER = [
  ' Generated from the config and the topology description by `npm run generate`; do not edit.',
  ' The on-prem half of Portcullis as one pod; see deploy/README.md.',
]

export function renderCompose(compose: ComposeFile, source: string): string {
  const header = [...COMPOSE_HEADER, ` Config: ${source}`].map((l) => `#${l}`).join('\n')
  // YAML 1.1 output quotes `no`, `on` and the like, which a 1.1 reader would take for booleans.
  return `${header}\n${stringify(compose, {
    version: '1.1',
    lineWidth: 0,
    aliasDuplicateObjects: false,
    singleQuote: true,
  })}`
}
