/**
 * The container pod without a container engine: the image's bundles built as the Dockerfile
 * builds them, laid out as in the image, and every service of the generated compose file
 * started with its own command, in its dependency order, on free loopback ports. What
 * Docker adds (namespaces, mounts, the published port) is checked structurally by
 * deploy/compose.test.ts; this proves the commands themselves carry a request end to end.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/nats-core'
import { buildProcesses } from '../../cli/build.js'
import { ensureJwkKeys } from '../../cli/jwk-keys.js'
import { spawnComponent, type ManagedProcess } from '../../cli/processes.js'
import { REPO_ROOT } from '../../cli/root.js'
import { loadConfig, type LoadedConfig } from '../../config/index.js'
import {
  decodeResponse,
  encodeRequest,
  newRequestId,
  subjects,
  type ResponseEnvelope,
} from '../../core/index.js'
import {
  podCompose,
  POD_SERVICE,
  PROVISION_SERVICE,
  type ComposeFile,
} from '../../deploy/compose.js'
import {
  CONFIG_DIR,
  DATA_DIR,
  DIST,
  IMAGE_MAINS,
  KEYS_DIR,
  NATS_ENTRY,
} from '../../deploy/image.js'
import { freePorts, OVERRIDES_ENV, READY_LINE } from '../../runtime/index.js'
import { describeTopology, ensureCredentials, type Topology } from '../../topology/index.js'
import { connectLinkWebsocket } from '../harness/buses.js'

const EDGE_ID = 'pod'

let dir: string
let config: LoadedConfig
let topology: Topology
let compose: ComposeFile
let env: NodeJS.ProcessEnv
const running: ManagedProcess[] = []
const lines: string[] = []
let edge: NatsConnection | undefined

/** Where each path of the image is in this test's folder. */
function local(arg: string): string {
  const map: Array<[string, string]> = [
    [NATS_ENTRY, join(dir, 'app', 'deploy', 'nats-server.sh')],
    [DIST, join(dir, 'app', 'dist')],
    [CONFIG_DIR, dir],
  ]
  for (const [from, to] of map) if (arg.startsWith(from)) return to + arg.slice(from.length)
  return arg
}

function commandOf(service: string): { command: string; args: string[] } {
  const [cmd, ...args] = compose.services[service]!.command.map(local)
  return { command: cmd === 'node' ? process.execPath : cmd!, args }
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })

function run(
  service: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string }> {
  const { command, args } = commandOf(service)
  const child = spawn(command, args, {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })))
}

async function start(service: string): Promise<void> {
  const bus = topology.buses.find((b) => `nats-${b.server}` === service)
  running.push(
    await spawnComponent({
      name: service,
      ...commandOf(service),
      env,
      onLine: (name, line) => lines.push(`${name}| ${line}`),
      ...(bus
        ? { readyCheck: () => listening(bus.port), readyTimeoutMs: 10_000 }
        : // As generous as `portcullis up` (its stages share the cores with the other tests).
          { readyLine: READY_LINE, readyTimeoutMs: 90_000 }),
    }),
  )
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-pod-'))
  const [link, linkWebsocket, dreq, creq, dresp, cresp, edgePort, demo] = await freePorts(8)
  mkdirSync(join(dir, 'demo'))
  copyFileSync(join(REPO_ROOT, 'demo', 'openapi.json'), join(dir, 'demo', 'openapi.json'))
  const configFile = join(dir, 'portcullis.config.json')
  writeFileSync(
    configFile,
    JSON.stringify({
      edge: { id: EDGE_ID, port: edgePort },
      upstreams: { demo: { baseUrl: `http://127.0.0.1:${demo}`, openapi: 'demo/openapi.json' } },
      demo: { port: demo },
      bus: { ports: { link, linkWebsocket, dreq, creq, dresp, cresp } },
      paths: { keys: 'keys', data: 'data' },
    }),
  )
  compose = podCompose({ configFile, composeDir: dir, repoRoot: REPO_ROOT })
  // The pod's overrides with this folder for the image's paths and loopback for the
  // pod's own interface (tests listen on 127.0.0.1 only).
  const overrides = JSON.parse(compose.services.relay!.environment![OVERRIDES_ENV]!) as {
    bus: { host: string }
    paths: { keys: string; data: string }
  }
  expect(overrides.paths).toEqual({ keys: KEYS_DIR, data: DATA_DIR })
  overrides.bus.host = '127.0.0.1'
  overrides.paths = { keys: join(dir, 'keys'), data: join(dir, 'data') }
  env = { ...process.env, [OVERRIDES_ENV]: JSON.stringify(overrides) }
  config = loadConfig(configFile, overrides)
  topology = describeTopology(config)

  // What `portcullis keys` leaves in the key folder on the host.
  await ensureJwkKeys(config.paths.keys)
  await ensureCredentials(config.paths.keys, topology, {
    ttlSeconds: config.bus.credentialsTtlSeconds,
  })
  // What the image build does.
  await buildProcesses(join(dir, 'app', 'dist'), IMAGE_MAINS)
  mkdirSync(join(dir, 'app', 'deploy'))
  copyFileSync(join(REPO_ROOT, 'deploy', 'nats-server.sh'), local(NATS_ENTRY))
  mkdirSync(join(dir, 'data', 'nats'), { recursive: true, mode: 0o700 })
}, 120_000)

afterAll(async () => {
  await edge?.close().catch(() => undefined)
  for (const p of running.reverse()) await p.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('the pod, run from its compose file', () => {
  it('POD-010 a nats-server started without its users when its config cannot be rendered', async () => {
    const empty = join(dir, 'no-keys')
    mkdirSync(empty)
    const overrides = JSON.parse(env[OVERRIDES_ENV]!) as { paths: { keys: string } }
    overrides.paths.keys = empty
    const { code, out } = await run('nats-link', { [OVERRIDES_ENV]: JSON.stringify(overrides) })
    expect(code).not.toBe(0)
    expect(out).toMatch(/start-failed .*run `portcullis keys`/)
    expect(await listening(topology.buses.find((b) => b.name === 'link')!.port)).toBe(false)
  })

  it('starts every service with its own command in dependency order and answers a request', async () => {
    const order = Object.keys(compose.services).filter((s) => s !== POD_SERVICE)
    const servers = order.filter((s) => s.startsWith('nats-'))
    await Promise.all(servers.map(start))
    const provisioned = await run(PROVISION_SERVICE)
    expect(provisioned, provisioned.out).toMatchObject({ code: 0 })
    expect(provisioned.out).toMatch(
      /info provisioned streams=link\/AUDIT,dreq\/DREQ,dreq\/AUDIT,creq\/CREQ,creq\/AUDIT,dresp\/DRESP,dresp\/AUDIT,cresp\/CRESP,cresp\/AUDIT/,
    )
    await Promise.all(
      order.filter((s) => !servers.includes(s) && s !== PROVISION_SERVICE).map(start),
    )

    edge = await connectLinkWebsocket({ topology, keysDir: config.paths.keys }, `edge-${EDGE_ID}`)
    const wire = encodeRequest({
      requestId: newRequestId(),
      deadline: Date.now() + 10_000,
      method: 'GET',
      host: 'demo',
      port: 443,
      path: '/orders',
      query: '',
      headers: [],
      body: new Uint8Array(),
    })
    const reply = await edge.request(subjects.linkRequest(EDGE_ID), wire.data, {
      headers: wire.headers,
      timeout: 10_000,
    })
    const res: ResponseEnvelope = decodeResponse(reply.headers, reply.data)
    expect(res.status, lines.join('\n')).toBe(200)
    expect(JSON.parse(new TextDecoder().decode(res.body)).orders).toHaveLength(2)
  }, 180_000)
})
