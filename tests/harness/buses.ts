/**
 * Real buses for tests: the five nats-servers of the isolated topology on free loopback
 * ports, generated from the default config (plus overrides) with fresh keys and credentials
 * in a temp dir, streams provisioned. One harness per test file; `stop()` leaves nothing
 * behind.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  credsAuthenticator,
  wsconnect,
  type Authenticator,
  type NatsConnection,
  type Subscription,
  type WsConnectionOptions,
} from '@nats-io/nats-core'
import { decodeRequest, encodeResponse, subjects, type BusName } from '../../core/index.js'
import { loadConfig, mergeConfig, type LoadedConfig } from '../../config/index.js'
import { ensureJwkKeys } from '../../cli/jwk-keys.js'
import {
  ADMIN,
  applyAccountChanges,
  busesOf,
  describeTopology,
  ensureCredentials,
  inboxPrefixOf,
  linkWebsocketUrls,
  natsNodesOf,
  natsServerOf,
  natsServersOf,
  provisionStreams,
  readCreds,
  rotateIdentity,
  startNatsServer,
  writeServerConfig,
  type NatsServerProcess,
  type Rotation,
  type Topology,
} from '../../topology/index.js'
import { connectAs } from '../../bus/index.js'
import { freeBusPorts, nodesOf } from '../../cli/ephemeral.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const DEFAULT_CONFIG_FILE = join(REPO_ROOT, 'portcullis.config.json')

/** Set to echo every nats-server log line to stderr, prefixed with the server's name. */
const LOG_ENV = 'PORTCULLIS_TEST_NATS_LOG'

export interface BusHarness {
  config: LoadedConfig
  topology: Topology
  dir: string
  keysDir: string
  /** A config file written into `dir`, usable with `--config` by child processes. */
  configFile: string
  connect(identity: string, bus: BusName): Promise<NatsConnection>
  /** Stops the nats-server that carries `bus` (in single-nats: the one server). */
  stopServer(bus: BusName): Promise<void>
  startServer(bus: BusName): Promise<void>
  /** The running process of the server that carries `bus`, if it runs (node 1 of three). */
  server(bus: BusName): NatsServerProcess | undefined
  /** One nats-server process by its name (`dreq`, or `dreq.2` with `bus.nodes: 3`). */
  node(name: string): NatsServerProcess | undefined
  startNode(name: string): Promise<void>
  /** Kills a node with SIGKILL (no lame duck, nothing flushed) and waits until it is gone. */
  killNode(name: string): Promise<void>
  /**
   * A node's planned stop: SIGUSR2 puts it in lame duck mode (it tells its clients, closes
   * them after its grace period, then exits); resolves once it has exited.
   */
  lameDuckNode(name: string): Promise<void>
  /**
   * `rotateIdentity`, then the new account JWTs written to the configs and pushed to the
   * running servers, as `portcullis keys rotate` does.
   */
  rotate(identity: string): Promise<Rotation>
  stop(): Promise<void>
}

interface RawConfig {
  upstreams?: Record<string, { openapi?: unknown }>
}

/** The default config merged with `overrides`, its OpenAPI paths made absolute. */
function mergedConfig(generated: unknown, overrides: unknown): RawConfig {
  const base = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as unknown
  const raw = mergeConfig(mergeConfig(base, generated), overrides) as RawConfig
  for (const upstream of Object.values(raw.upstreams ?? {})) {
    if (typeof upstream.openapi === 'string')
      upstream.openapi = resolve(REPO_ROOT, upstream.openapi)
  }
  return raw
}

export async function startBuses(overrides?: unknown): Promise<BusHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bus-'))
  const servers = new Map<string, NatsServerProcess>()
  const connections = new Set<NatsConnection>()
  let stopped = false

  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await Promise.allSettled([...connections].map((nc) => nc.close()))
    await Promise.allSettled([...servers.values()].map((s) => s.stop()))
    servers.clear()
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    // Every listener of the buses (node and route ports too with `bus.nodes: 3`), edge, demo.
    const { bus, more } = await freeBusPorts(nodesOf(overrides), 2)
    const [edgePort, demoPort] = more
    const generated = {
      bus,
      edge: { port: edgePort },
      demo: { port: demoPort },
      upstreams: { demo: { baseUrl: `http://127.0.0.1:${demoPort}` } },
      paths: { keys: join(dir, 'keys'), data: join(dir, 'data') },
    }
    const configFile = join(dir, 'portcullis.config.json')
    writeFileSync(configFile, JSON.stringify(mergedConfig(generated, overrides), null, 2) + '\n')
    const config = loadConfig(configFile)
    const topology = describeTopology(config)
    const keysDir = config.paths.keys
    // The token services' signing keys: the request validator verifies actors with them.
    await ensureJwkKeys(keysDir)
    const credentialOptions = { ttlSeconds: config.bus.credentialsTtlSeconds }
    const { trust } = await ensureCredentials(keysDir, topology, credentialOptions)
    const confs = new Map<string, { confPath: string; port: number }>()
    for (const spec of natsServersOf(topology)) {
      const { confPath } = writeServerConfig(config, topology, spec, trust)
      confs.set(spec.name, { confPath, port: spec.port })
    }
    // Servers are named by a bus they carry; in single-nats every bus names the one server.
    const processOf = (bus: BusName) => natsServerOf(topology, bus).name

    const startServer = async (bus: BusName): Promise<void> => {
      // Every node of a three-node bus at once: each waits for its peers' routes.
      await Promise.all(natsNodesOf(topology, bus).map((n) => startNode(n.name)))
    }
    const startNode = async (name: string): Promise<void> => {
      if (servers.has(name)) return
      const conf = confs.get(name)
      if (!conf) throw new Error(`no server ${name} in the topology`)
      const echo = process.env[LOG_ENV]
      const server = await startNatsServer({
        name,
        host: topology.host,
        ...conf,
        ...(echo
          ? { onLine: (line: string) => process.stderr.write(`[nats ${name}] ${line}\n`) }
          : {}),
      })
      servers.set(name, server)
    }
    const stopServer = async (bus: BusName): Promise<void> => {
      await Promise.all(
        natsNodesOf(topology, bus).map(async ({ name }) => {
          const server = servers.get(name)
          servers.delete(name)
          await server?.stop()
        }),
      )
    }
    const killNode = async (name: string): Promise<void> => {
      const server = servers.get(name)
      if (!server) return
      servers.delete(name)
      process.kill(server.pid, 'SIGKILL')
      await server.stop()
    }
    const lameDuckNode = async (name: string): Promise<void> => {
      const server = servers.get(name)
      if (!server) return
      servers.delete(name)
      process.kill(server.pid, 'SIGUSR2')
      await server.exit
    }
    const connect = async (identity: string, bus: BusName): Promise<NatsConnection> => {
      const nc = await connectAs({
        topology,
        keysDir,
        identity,
        bus,
        name: `test:${identity}@${bus}`,
      })
      connections.add(nc)
      void nc.closed().then(() => connections.delete(nc))
      return nc
    }

    await Promise.all(natsServersOf(topology).map((s) => startNode(s.name)))
    await provisionStreams(topology, config.bus, (bus) => connect(ADMIN, bus))

    return {
      config,
      topology,
      dir,
      keysDir,
      configFile,
      connect,
      stopServer,
      startServer,
      server: (bus) => servers.get(processOf(bus)),
      node: (name) => servers.get(name),
      startNode,
      killNode,
      lameDuckNode,
      async rotate(identity) {
        const rotation = await rotateIdentity(keysDir, topology, identity, credentialOptions)
        await applyAccountChanges(config, topology, rotation.result)
        return rotation
      },
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}

/** The link's WebSocket URL, as the edge dials it (node 1's with `bus.nodes: 3`). */
export function linkWebsocketUrl(h: Pick<BusHarness, 'topology'>): string {
  return linkWebsocketUrls(h.topology)[0]!
}

/** Node 20 has no global WebSocket (Node 22 has): fall back to the `ws` package there. */
async function webSocketClass(): Promise<typeof WebSocket> {
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket
  const ws = await import('ws')
  return ws.WebSocket as unknown as typeof WebSocket
}

/**
 * What `identity` presents to `bus`: its credentials for that bus, or, where the
 * topology gives it none, the credentials it holds for another bus (the closest thing it
 * could try). Read at each connect, so rotated credentials are used.
 */
export function authenticatorOf(
  h: Pick<BusHarness, 'topology' | 'keysDir'>,
  identity: string,
  bus: BusName,
): Authenticator {
  const own = busesOf(h.topology, identity).map((b) => b.name)
  const from = own.includes(bus) ? bus : own[0]
  if (!from) throw new Error(`identity ${identity} has no credentials on any bus`)
  return (nonce) => credsAuthenticator(readCreds(h.keysDir, identity, from))(nonce)
}

/**
 * Connects to the link over WebSocket as `identity` (none: an anonymous client), the way the
 * edge does: one attempt, no reconnect, so a refusal surfaces as the rejected promise. An
 * edge identity uses its link inbox prefix; any other identity its usual one.
 */
export async function connectLinkWebsocket(
  h: Pick<BusHarness, 'topology' | 'keysDir'>,
  identity: string | undefined,
  opts: Partial<WsConnectionOptions> = {},
): Promise<NatsConnection> {
  const Ws = await webSocketClass()
  const edge = h.topology.identities.find((i) => i.id === identity && i.kind === 'edge')
  return wsconnect({
    servers: linkWebsocketUrl(h),
    name: `test:${identity ?? 'anonymous'}@link-ws`,
    ...(identity
      ? {
          authenticator: authenticatorOf(h, identity, 'link'),
          inboxPrefix: edge?.edgeId ? subjects.linkInbox(edge.edgeId) : inboxPrefixOf(identity),
        }
      : {}),
    maxReconnectAttempts: 0,
    reconnect: false,
    wsFactory: async (url) => ({ socket: new Ws(url), encrypted: false }),
    ...opts,
  })
}

/**
 * Answers every link request on `nc` with 200 and `body`, as the relay does, in the relay's
 * queue group: for tests that measure or break the edge's side of the link alone.
 */
export function answerLinkRequests(
  nc: NatsConnection,
  body: (path: string) => Uint8Array,
): Subscription {
  return nc.subscribe(subjects.linkRequestAll, {
    queue: 'relay',
    callback: (err, msg) => {
      if (err) return
      const { requestId, deadline, method, host, port, path, query } = decodeRequest(
        msg.headers,
        msg.data,
      )
      const { headers, data } = encodeResponse({
        request: { requestId, deadline, method, host, port, path, query },
        status: 200,
        headers: [['content-type', 'application/json']],
        body: body(path),
      })
      msg.respond(data, { headers })
    },
  })
}
