/**
 * The whole local stack, as `portcullis up` starts it and as the end-to-end tests use it:
 * the topology's nats-servers, streams provisioned by the admin identity, the demo upstream,
 * relay, request validator, one backend connector per upstream host, response validator
 * (each stage with its configured replicas), and the edge under `wrangler dev`. Everything
 * listens on the configured loopback ports; a component that fails to start stops the whole
 * start, naming it. Once up, the supervisor restarts any process that exits unasked, and the
 * live process table is kept in `<paths.data>/stack.json` for `portcullis status`.
 */
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { loadConfig, type LoadedConfig } from '../config/index.js'
import {
  createLogger,
  METRICS_ENV,
  OVERRIDES_ENV,
  READY_LINE,
  SUPERVISOR_PID_ENV,
  watchedConfig,
} from '../runtime/index.js'
import {
  ADMIN,
  describeTopology,
  ensureCredentials,
  natsServersOf,
  peerNameOf,
  readTrust,
  startNatsServer,
  stepDownLeaders,
  waitCaughtUp,
  writeServerConfig,
  type NatsServerSpec,
  type Topology,
  LAME_DUCK_DURATION_MS,
} from '../topology/index.js'
import { connectAs, provisionAsAdmin } from '../bus/index.js'
import { failureReason } from '../core/index.js'
import { spawnComponent, StartError } from './processes.js'
import {
  signalProcess,
  Supervisor,
  type Backoff,
  type ProcessInfo,
  type ProcessSpec,
} from './supervisor.js'
import { reapEarlierStack, removeState, stateFileOf, writeState } from './state.js'
import { startEdgeDev, updateEdgePolicy } from './edge-dev.js'
import { ensureJwkKeys } from './jwk-keys.js'
import { ensureAuditSigningKey } from '../audit/store/index.js'
import { CONSOLE_TOKEN_ENV, newConsoleToken } from '../console/auth.js'
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
  /** The restart backoff of the supervisor (default 250 ms doubling to 10 s). */
  backoff?: Partial<Backoff>
  /** Where the live process table goes (default `<paths.data>/stack.json`); false: nowhere. */
  stateFile?: string | false
}

export interface RollingRestartOptions {
  /** Which processes to restart (default: all but the edge and the demo upstream). */
  include?: (p: ProcessInfo) => boolean
}

export interface Stack {
  config: LoadedConfig
  topology: Topology
  /** The ingress URL, e.g. http://127.0.0.1:8787 */
  url: string
  /** The console's URL with its login token in the fragment, when the stack runs it. */
  consoleUrl?: string
  /** Every process name, in start order. */
  components: string[]
  /** Where the live process table is written, if anywhere. */
  stateFile?: string
  /**
   * A process by name, or every replica of a component by the component's name: stopped
   * gracefully, and kept stopped (no restart) until `startComponent`.
   */
  stopComponent(name: string): Promise<void>
  startComponent(name: string): Promise<void>
  /** Kills a process (or a component's replicas) without letting it finish (a crash); kept stopped. */
  killComponent(name: string): Promise<void>
  /** Process ids of the running processes (for memory readings). */
  pids(): Record<string, number>
  /** Every process of the stack with its state, pid, ports and restart count. */
  processes(): ProcessInfo[]
  /** Signals one process (SIGKILL by default) as a crash would: the supervisor restarts it. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>
  /** Sends a signal to a running process and returns (SIGHUP: reload its config). */
  signal(name: string, signal: NodeJS.Signals): void
  /** Graceful stop, start, and resolves once it is ready. */
  restart(name: string): Promise<void>
  /** Every process, one at a time, each ready before the next: nats nodes first. */
  rollingRestart(options?: RollingRestartOptions): Promise<void>
  /** Resolves once the process runs (ready); rejects after `timeoutMs` (default 60 s). */
  waitRunning(name: string, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/** Extra Node flags for the stage processes, e.g. `--cpu-prof` to profile them. */
const NODE_ARGS = (process.env.PORTCULLIS_NODE_ARGS ?? '').split(' ').filter(Boolean)

/** How long a restarted bus node may take to catch up on every stream and consumer. */
const NODE_CATCH_UP_MS = 60_000
/** Beyond the lame duck duration, before a node that has not exited is stopped outright. */
const LAME_DUCK_SLACK_MS = 5_000

/** How long a stage process may take to print its ready line. */
const STAGE_READY_TIMEOUT_MS = 90_000

/** nats-server's informational lines (its banner, mostly) show only at debug level. */
const NATS_INFO = / \[INF\] /
const natsVerbose = process.env.PORTCULLIS_LOG_LEVEL === 'debug'

const defaultOnLine = (component: string, line: string) =>
  process.stdout.write(`${component.padEnd(19)} | ${line}\n`)

async function assertPortFree(host: string, port: number, component: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer()
    server.once('error', () =>
      reject(new StartError(component, `port ${host}:${port} is already in use`, 'PORT_IN_USE')),
    )
    server.listen(port, host, () => server.close(() => resolve()))
  })
}

const hostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`

/** A process of the stack: its supervisor spec, and the address its ports listen on. */
interface Member extends ProcessSpec {
  host: string
  kind: 'nats' | 'stage' | 'edge'
}

/** `<component>` for one replica, `<component>.<i>` for each of N > 1 (cli/README.md). */
function replicated(
  component: string,
  count: number,
  make: (name: string, replica?: number) => Omit<Member, 'name' | 'component' | 'replica'>,
): Member[] {
  if (count <= 1) return [{ name: component, component, ...make(component) }]
  return Array.from({ length: count }, (_, i) => {
    const name = `${component}.${i + 1}`
    return { name, component, replica: i + 1, ...make(name, i + 1) }
  })
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const onLine = options.onLine ?? defaultOnLine
  const config = loadConfig(options.configFile, options.overrides)
  const topology = describeTopology(config)
  const host = config.bus.host
  const natsServers = natsServersOf(topology)

  const stateFile =
    options.stateFile === false ? undefined : (options.stateFile ?? stateFileOf(config.paths.data))
  if (stateFile) {
    const earlier = await reapEarlierStack(stateFile, resolve(config.paths.data))
    if (earlier.kind === 'running') {
      throw new StartError(
        'stack',
        `another portcullis up (pid ${earlier.pid}) runs this stack (${stateFile})`,
        'PROCESS_START_FAILED',
        { action: 'stop it first; npx portcullis status shows it' },
      )
    }
    if (earlier.kind === 'stale' && earlier.stopped.length > 0) {
      onLine(
        'supervisor',
        `warn stopped-leftovers names=${earlier.stopped.join(',')} reason="the up that started them was gone"`,
      )
    }
  }

  for (const server of natsServers) {
    await assertPortFree(host, server.port, `${server.name} nats-server`)
    if (server.websocketPort)
      await assertPortFree(host, server.websocketPort, `${server.name} nats-server`)
  }
  // The demo upstream runs only for a config that has it (`portcullis init` writes none).
  const withDemo = Object.hasOwn(config.upstreams, 'demo')
  if (withDemo) await assertPortFree('127.0.0.1', config.demo.port, 'demo')
  if (config.console.enabled)
    await assertPortFree(config.console.host, config.console.port, 'console')
  const consoleToken = newConsoleToken()
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

  const servers: Member[] = natsServers.map((server) => {
    const name = `nats-${server.name}`
    // A node of a clustered bus is `<server>.<i>` (topology/README.md).
    const node = /^(.+)\.([1-9])$/.exec(server.name)
    const cluster = (server as { cluster?: { port: number } }).cluster
    return {
      name,
      component: node ? `nats-${node[1]}` : name,
      ...(node ? { node: Number(node[2]) } : {}),
      host,
      kind: 'nats',
      ports: [
        server.port,
        ...(server.websocketPort === undefined ? [] : [server.websocketPort]),
        ...(cluster ? [cluster.port] : []),
      ],
      start: () => {
        // Read at each start: `portcullis keys rotate` may have revoked keys since.
        const trust = readTrust(config.paths.keys, topology)
        const { confPath } = writeServerConfig(config, topology, server, trust)
        return startNatsServer({
          name,
          confPath,
          port: server.port,
          host,
          onLine: (line) => {
            if (natsVerbose || !NATS_INFO.test(line)) onLine(name, line)
          },
        }).catch((e: unknown) => {
          throw StartError.of(name, e, 'BUS_START_FAILED')
        })
      },
    }
  })
  let bundles: Record<ProcessMain, string> | undefined
  const stage = (
    component: string,
    main: ProcessMain,
    count = 1,
    extraArgs: string[] = [],
    ports: number[] = [],
    extraEnv: Record<string, string> = {},
  ): Member[] =>
    replicated(component, count, (name) => ({
      host: '127.0.0.1',
      kind: 'stage',
      ports,
      start: () => {
        if (!bundles) throw new Error('unreachable: stages start after the processes are built')
        return spawnComponent({
          name,
          command: process.execPath,
          args: [
            ...NODE_ARGS,
            '--enable-source-maps',
            bundles[main],
            '--config',
            config.file,
            ...extraArgs,
          ],
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            [SUPERVISOR_PID_ENV]: String(process.pid),
            ...(config.metrics.enabled && {
              [METRICS_ENV]: hostPort(config.metrics.host, metricsPorts.get(name) ?? 0),
            }),
            [OVERRIDES_ENV]:
              options.overrides === undefined ? '' : JSON.stringify(options.overrides),
            ...extraEnv,
          },
          readyLine: READY_LINE,
          // Generous: every stage starts at once, on cores a benchmark or tests may share.
          readyTimeoutMs: STAGE_READY_TIMEOUT_MS,
          onLine,
        })
      },
    }))
  // The stage processes this topology has (single-validation has no validator processes).
  const has = (kind: string) => topology.identities.some((i) => i.kind === kind)
  const { replicas } = config
  const stages: Member[] = [
    ...(withDemo ? stage('demo', 'demo/main.ts', 1, [], [config.demo.port]) : []),
    ...stage('relay', 'bridge/relay/main.ts', replicas.relay),
    ...(has('request-validator')
      ? stage('request-validator', 'validators/request/main.ts', replicas.requestValidator)
      : []),
    ...Object.keys(config.upstreams).flatMap((h) =>
      stage(`backend-${h}`, 'backend/main.ts', replicas.backend, ['--host', h]),
    ),
    ...(has('response-validator')
      ? stage('response-validator', 'validators/response/main.ts', replicas.responseValidator)
      : []),
    ...stage('audit-sink', 'audit/sink/main.ts'),
    // The console reads the process table: only a stack that writes one runs it.
    ...(config.console.enabled && stateFile
      ? stage('console', 'console/main.ts', 1, ['--state', stateFile], [config.console.port], {
          [CONSOLE_TOKEN_ENV]: consoleToken,
        })
      : []),
  ]
  // Fixed metrics ports: the configured one plus each stage process's index (0: the kernel's).
  const metricsPorts = new Map(
    stages.map((m, i) => [m.name, config.metrics.port ? config.metrics.port + i : 0]),
  )
  if (config.metrics.enabled && config.metrics.port) {
    for (const [name, port] of metricsPorts)
      await assertPortFree(config.metrics.host, port, `${name} metrics`)
  }
  const edges: Member[] =
    options.edge === false
      ? []
      : [
          {
            name: 'edge',
            component: 'edge',
            host: '127.0.0.1',
            kind: 'edge',
            ports: [config.edge.port],
            start: () =>
              startEdgeDev({
                config,
                keysDir: config.paths.keys,
                onLine: (line) => onLine('edge', line),
              }),
          },
        ]
  const members = [...servers, ...stages, ...edges]
  const order = members.map((m) => m.name)

  const startedAt = new Date().toISOString()
  const url = `http://127.0.0.1:${config.edge.port}`
  let stateOn = true
  const supervisor: Supervisor = new Supervisor({
    onLine,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    onChange: () => {
      if (!stateFile || !stateOn) return
      const hostOf = new Map(members.map((m) => [m.name, m.host]))
      try {
        writeState(stateFile, {
          version: 1,
          pid: process.pid,
          startedAt,
          updatedAt: new Date().toISOString(),
          configFile: config.file,
          ...(edges.length ? { url } : {}),
          processes: supervisor
            .processes()
            .map((p) => ({ ...p, host: hostOf.get(p.name) ?? '127.0.0.1' })),
        })
      } catch (e) {
        onLine('supervisor', `warn state-file-failed reason=${JSON.stringify(String(e))}`)
      }
    },
  })
  for (const m of members) supervisor.add(m)

  let stopFollowing = () => {}
  const stopAll = async () => {
    stopFollowing()
    await supervisor.stopAll(order)
    stateOn = false
    if (stateFile) removeState(stateFile)
  }

  try {
    const building = buildProcesses(join(config.paths.data, 'build')).catch((e: unknown) => {
      throw new StartError('build', failureReason(e), 'PROCESS_START_FAILED', {
        action: 'fix what the bundler names (npm install when a package is missing)',
      })
    })
    const starting = Promise.all(servers.map((m) => supervisor.start(m.name)))
    // Both settle before either failure is raised: nothing may still be starting at the stop.
    const [built, started] = await Promise.allSettled([building, starting])
    if (started.status === 'rejected') throw started.reason
    if (built.status === 'rejected') throw built.reason
    bundles = built.value
    await provision(topology, config)
    const stagesStarting = await Promise.allSettled(stages.map((m) => supervisor.start(m.name)))
    const failed = stagesStarting.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    for (const m of edges) await supervisor.start(m.name)
  } catch (e) {
    await stopAll()
    throw e
  }
  if (edges.length) {
    const reloading = stages.filter((m) => m.component !== 'demo').map((m) => m.name)
    stopFollowing = followConfig(options, config, supervisor, reloading, onLine)
  }

  /** A process name, or the processes of a component (all its replicas or nodes). */
  const resolveNames = (name: string): string[] => {
    if (supervisor.has(name)) return [name]
    const of = members.filter((m) => m.component === name).map((m) => m.name)
    if (!of.length) throw new Error(`no component ${name}`)
    return of
  }

  /**
   * One node of a clustered bus, restarted without taking its bus down: the streams and
   * consumers it leads step down first, and the next node waits until it has caught up
   * (topology/actions/handover.ts), else two nodes of three would be behind at once.
   */
  async function restartNode(node: NatsServerSpec): Promise<void> {
    // An admin connection to the bus (any node but this one, once it has gone), one for
    // before and one for after the restart: the first may have been on this node.
    const admin = () =>
      connectAs({
        topology,
        keysDir: config.paths.keys,
        identity: ADMIN,
        bus: node.buses[0]!,
        name: 'admin',
      })
    const peer = peerNameOf(node)
    const name = `nats-${node.name}`
    const before = await admin()
    const handing = Date.now()
    try {
      const moved = await stepDownLeaders(before, peer)
      onLine(
        'supervisor',
        `info handed-over name=${name} leaders=${moved} ms=${Date.now() - handing}`,
      )
    } finally {
      await before.close().catch(() => undefined)
    }
    // A link node goes in lame duck mode: its clients (the edge, the relays) are told first
    // and move to the other nodes while their requests in flight finish on this one. A bus
    // node's clients only consume and publish, which a reconnect resumes: stopped at once.
    await supervisor.restart(
      name,
      node.buses.includes('link')
        ? { signal: 'SIGUSR2', exitWithinMs: LAME_DUCK_DURATION_MS + LAME_DUCK_SLACK_MS }
        : undefined,
    )
    const after = await admin()
    const restarted = Date.now()
    try {
      await waitCaughtUp(after, peer, NODE_CATCH_UP_MS)
      onLine('supervisor', `info caught-up name=${name} ms=${Date.now() - restarted}`)
    } finally {
      await after.close().catch(() => undefined)
    }
  }

  return {
    config,
    topology,
    url,
    ...(config.console.enabled &&
      stateFile && {
        consoleUrl: `http://${hostPort(config.console.host, config.console.port)}/#token=${consoleToken}`,
      }),
    components: order,
    ...(stateFile ? { stateFile } : {}),
    async stopComponent(name) {
      for (const n of resolveNames(name).reverse()) await supervisor.stop(n)
    },
    async startComponent(name) {
      await Promise.all(resolveNames(name).map((n) => supervisor.start(n)))
    },
    async killComponent(name) {
      await Promise.all(resolveNames(name).map((n) => supervisor.killAndHold(n)))
    },
    pids() {
      const out: Record<string, number> = {}
      for (const p of supervisor.processes()) if (p.state === 'running') out[p.name] = p.pid
      return out
    },
    processes: () => supervisor.processes(),
    kill: (name, signal = 'SIGKILL') => supervisor.kill(name, signal),
    signal(name, signal) {
      const pid = supervisor.processes().find((p) => p.name === name)?.pid
      if (!pid) throw new Error(`${name} is not running`)
      signalProcess(pid, signal)
    },
    restart: (name) => supervisor.restart(name),
    async rollingRestart(opts = {}) {
      const include =
        opts.include ?? ((p: ProcessInfo) => p.component !== 'edge' && p.component !== 'demo')
      const kindOf = new Map(members.map((m) => [m.name, m.kind]))
      const chosen = supervisor.processes().filter(include)
      // nats nodes first, then the stages in start order.
      const ordered = [
        ...chosen.filter((p) => kindOf.get(p.name) === 'nats'),
        ...chosen.filter((p) => kindOf.get(p.name) !== 'nats'),
      ]
      for (const p of ordered) {
        onLine('supervisor', `info rolling-restart name=${p.name}`)
        const node = natsServers.find((n) => `nats-${n.name}` === p.name)
        if (node?.cluster && node.jetstream) await restartNode(node)
        else await supervisor.restart(p.name)
      }
    },
    waitRunning: (name, timeoutMs) => supervisor.waitRunning(name, timeoutMs),
    stop: stopAll,
  }
}

/**
 * The edge follows the config's files as the stages do (runtime/live-config.ts): each stage
 * reloads itself; here a reload rewrites the worker's policy, which wrangler dev reloads.
 * SIGHUP to `portcullis up` reloads the edge and is passed on to every stage.
 */
function followConfig(
  options: StackOptions,
  config: LoadedConfig,
  supervisor: Supervisor,
  stages: readonly string[],
  onLine: (component: string, line: string) => void,
): () => void {
  const log = createLogger(undefined, (line) => onLine('supervisor', line))
  const live = watchedConfig(config, () => loadConfig(options.configFile, options.overrides), log, {
    signal: false,
  })
  live.derive((c) => {
    if (updateEdgePolicy(c)) onLine('supervisor', 'info edge-policy-updated')
  })
  const onHangup = () => {
    live.reload('SIGHUP', true)
    for (const p of supervisor.processes()) {
      if (p.pid > 0 && stages.includes(p.name)) signalProcess(p.pid, 'SIGHUP')
    }
  }
  process.on('SIGHUP', onHangup)
  return () => {
    process.off('SIGHUP', onHangup)
    live.close()
  }
}

async function provision(topology: Topology, config: LoadedConfig): Promise<void> {
  try {
    await provisionAsAdmin(topology, config)
  } catch (e) {
    throw StartError.of('provision', e, 'BUS_NOT_READY')
  }
}
