/**
 * The whole local stack, as `portcullis up` starts it and as the end-to-end tests use it:
 * five nats-servers from the topology, streams provisioned by the admin identity, the demo
 * upstream, relay, request validator, one backend connector per upstream host, response
 * validator, and the edge under `wrangler dev`. Everything listens on the configured
 * loopback ports; a component that fails to start stops the whole start, naming it.
 */
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { NatsConnection } from '@nats-io/nats-core'
import { loadConfig, type LoadedConfig } from '../config/index.js'
import { OVERRIDES_ENV, READY_LINE } from '../runtime/index.js'
import {
  ADMIN,
  describeTopology,
  ensureCredentials,
  natsServersOf,
  provisionStreams,
  readTrust,
  startNatsServer,
  writeServerConfig,
  type Topology,
} from '../topology/index.js'
import { connectAs } from '../bus/index.js'
import type { BusName } from '../core/index.js'
import { spawnComponent, StartError } from './processes.js'
import { startEdgeDev } from './edge-dev.js'
import { ensureJwkKeys } from './jwk-keys.js'
import { ensureAuditSigningKey } from '../audit/store/index.js'
import { buildProcesses, type ProcessMain } from './build.js'
import { REPO_ROOT } from './root.js'

export { REPO_ROOT }

export interface StackOptions {
  configFile: string
  /** Merged into the config file (ports, paths, limits): how tests pick their own. */
  overrides?: unknown
  onLine?: (component: string, line: string) => void
  /** Start the edge under wrangler dev (default true). */
  edge?: boolean
}

interface Component {
  name: string
  start(): Promise<{ stop(): Promise<void> }>
}

export interface Stack {
  config: LoadedConfig
  topology: Topology
  /** The ingress URL, e.g. http://127.0.0.1:8787 */
  url: string
  components: string[]
  stopComponent(name: string): Promise<void>
  startComponent(name: string): Promise<void>
  /** Kills a component without letting it finish its work (a crash). */
  killComponent(name: string): Promise<void>
  /** Process ids of the running components (for memory readings). */
  pids(): Record<string, number>
  stop(): Promise<void>
}

/** Extra Node flags for the stage processes, e.g. `--cpu-prof` to profile them. */
const NODE_ARGS = (process.env.PORTCULLIS_NODE_ARGS ?? '').split(' ').filter(Boolean)

/** nats-server's informational lines (its banner, mostly) show only at debug level. */
const NATS_INFO = / \[INF\] /
const natsVerbose = process.env.PORTCULLIS_LOG_LEVEL === 'debug'

const defaultOnLine = (component: string, line: string) =>
  process.stdout.write(`${component.padEnd(20)}| ${line}\n`)

async function assertPortFree(host: string, port: number, component: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer()
    server.once('error', () =>
      reject(new StartError(component, `port ${host}:${port} is already in use`)),
    )
    server.listen(port, host, () => server.close(() => resolve()))
  })
}

function nodeProcess(
  config: LoadedConfig,
  overrides: unknown,
  name: string,
  bundle: () => string,
  extraArgs: string[],
  onLine: (component: string, line: string) => void,
): Component {
  return {
    name,
    start: () =>
      spawnComponent({
        name,
        command: process.execPath,
        args: [
          ...NODE_ARGS,
          '--enable-source-maps',
          bundle(),
          '--config',
          config.file,
          ...extraArgs,
        ],
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          [OVERRIDES_ENV]: overrides === undefined ? '' : JSON.stringify(overrides),
        },
        readyLine: READY_LINE,
        onLine,
      }),
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const onLine = options.onLine ?? defaultOnLine
  const config = loadConfig(options.configFile, options.overrides)
  const topology = describeTopology(config)
  const host = config.bus.host

  for (const server of natsServersOf(topology)) {
    await assertPortFree(host, server.port, `${server.name} nats-server`)
    if (server.websocketPort)
      await assertPortFree(host, server.websocketPort, `${server.name} nats-server`)
  }
  await assertPortFree('127.0.0.1', config.demo.port, 'demo')
  if (options.edge !== false) await assertPortFree('127.0.0.1', config.edge.port, 'edge')

  // The token services' signing keys first: the edge's workers and the request validator
  // (which verifies access tokens) read them.
  await ensureJwkKeys(config.paths.keys)
  // The audit trail's checkpoint key: the sink signs with it, `audit verify` checks with it.
  ensureAuditSigningKey(config.paths.keys)
  // Every identity's key and bus credentials (renewed when due), the operator and accounts.
  await ensureCredentials(config.paths.keys, topology, {
    ttlSeconds: config.bus.credentialsTtlSeconds,
  })

  const components: Component[] = natsServersOf(topology).map((server) => ({
    name: `nats-${server.name}`,
    start: () => {
      // Read at each start: `portcullis keys rotate` may have revoked keys since.
      const trust = readTrust(config.paths.keys, topology)
      const { confPath } = writeServerConfig(config, topology, server, trust)
      return startNatsServer({
        name: `nats-${server.name}`,
        confPath,
        port: server.port,
        onLine: (line) => {
          if (natsVerbose || !NATS_INFO.test(line)) onLine(`nats-${server.name}`, line)
        },
      })
    },
  }))
  const servers = components.length
  let bundles: Record<ProcessMain, string> | undefined
  const bundle = (main: ProcessMain) => () => {
    if (!bundles) throw new Error('the processes were not built')
    return bundles[main]
  }
  const proc = (name: string, main: ProcessMain, extraArgs: string[] = []) =>
    nodeProcess(config, options.overrides, name, bundle(main), extraArgs, onLine)
  // The stage processes this topology has (single-validation has no validator processes).
  const has = (kind: string) => topology.identities.some((i) => i.kind === kind)
  const stages: Component[] = [
    proc('demo', 'demo/main.ts'),
    proc('relay', 'bridge/relay/main.ts'),
    ...(has('request-validator') ? [proc('request-validator', 'validators/request/main.ts')] : []),
    ...Object.keys(config.upstreams).map((h) =>
      proc(`backend-${h}`, 'backend/main.ts', ['--host', h]),
    ),
    ...(has('response-validator')
      ? [proc('response-validator', 'validators/response/main.ts')]
      : []),
    proc('audit-sink', 'audit/sink/main.ts'),
  ]
  components.push(...stages)
  if (options.edge !== false) {
    components.push({
      name: 'edge',
      start: () =>
        startEdgeDev({
          config,
          keysDir: config.paths.keys,
          onLine: (line) => onLine('edge', line),
        }),
    })
  }

  const running = new Map<string, { stop(): Promise<void>; pid?: number }>()
  const stopAll = async () => {
    for (const name of [...running.keys()].reverse()) {
      await running
        .get(name)!
        .stop()
        .catch(() => undefined)
      running.delete(name)
    }
  }
  const startOne = async (c: Component) => {
    const handle = await c.start()
    running.set(c.name, handle)
  }

  try {
    const building = buildProcesses(join(config.paths.data, 'build')).catch((e: unknown) => {
      throw new StartError('build', e instanceof Error ? e.message : String(e))
    })
    await Promise.all(components.slice(0, servers).map(startOne))
    bundles = await building
    await provision(topology, config)
    await Promise.all(stages.map(startOne))
    for (const c of components.slice(servers + stages.length)) await startOne(c)
  } catch (e) {
    await stopAll()
    throw e
  }

  const byName = (name: string) => {
    const c = components.find((x) => x.name === name)
    if (!c) throw new Error(`no component ${name}`)
    return c
  }
  return {
    config,
    topology,
    url: `http://127.0.0.1:${config.edge.port}`,
    components: components.map((c) => c.name),
    async stopComponent(name) {
      await running.get(name)?.stop()
      running.delete(name)
    },
    async startComponent(name) {
      if (!running.has(name)) await startOne(byName(name))
    },
    async killComponent(name) {
      const handle = running.get(name) as ({ pid?: number } & { stop(): Promise<void> }) | undefined
      if (!handle) return
      if (handle.pid) {
        try {
          process.kill(-handle.pid, 'SIGKILL')
        } catch {
          try {
            process.kill(handle.pid, 'SIGKILL')
          } catch {
            // already gone
          }
        }
      }
      await handle.stop()
      running.delete(name)
    },
    pids() {
      const out: Record<string, number> = {}
      for (const [name, handle] of running) if (handle.pid) out[name] = handle.pid
      return out
    },
    stop: stopAll,
  }
}

async function provision(topology: Topology, config: LoadedConfig): Promise<void> {
  const open: NatsConnection[] = []
  try {
    await provisionStreams(topology, config.bus, async (server: BusName) => {
      const nc = await connectAs({
        topology,
        keysDir: config.paths.keys,
        identity: ADMIN,
        server,
        name: 'admin',
      })
      open.push(nc)
      return nc
    })
  } catch (e) {
    throw new StartError('provision', e instanceof Error ? e.message : String(e))
  } finally {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)))
  }
}
