/**
 * Structural checks of the container pod: the committed compose file, the image definition
 * and the build context's ignore file, read as files (no Docker engine needed). Each id'd
 * test names what a careless edit could let through.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/index.js'
import { METRICS_ENV, OVERRIDES_ENV } from '../runtime/index.js'
import { describeTopology, natsServersOf } from '../topology/index.js'
import { REPO_ROOT } from '../cli/root.js'
import {
  DEMO_SERVICE,
  POD_NETWORK,
  POD_OVERRIDES,
  POD_SERVICE,
  PROVISION_SERVICE,
  natsService,
  type ComposeFile,
  type Mount,
  type Service,
} from './compose.js'
import { CONFIG_DIR, DATA_DIR, DIST, IMAGE, IMAGE_MAINS, KEYS_DIR, NATS_ENTRY } from './image.js'

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8')
const compose = parse(read('deploy/compose.yaml')) as ComposeFile
const services = Object.entries(compose.services) as Array<
  [string, Service & Record<string, unknown>]
>
const members = services.filter(([name]) => name !== POD_SERVICE)
const config = loadConfig(join(REPO_ROOT, 'portcullis.config.json'), POD_OVERRIDES)
const topology = describeTopology(config)
const link = topology.buses.find((b) => b.websocketPort !== undefined)!

interface Instruction {
  stage: number
  op: string
  args: string
}

/** The Dockerfile as instructions: continuation lines joined, comments dropped. */
function dockerfile(text: string): Instruction[] {
  const out: Instruction[] = []
  let stage = -1
  const lines = text.replace(/\\\n/g, ' ').split('\n')
  for (const line of lines.map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const [op, ...rest] = line.split(/\s+/)
    if (op!.toUpperCase() === 'FROM') stage++
    out.push({ stage, op: op!.toUpperCase(), args: rest.join(' ') })
  }
  return out
}
const image = dockerfile(read('deploy/Dockerfile'))
const finalStage = Math.max(...image.map((i) => i.stage))
const dockerignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))

/** COPY sources from the build context (not `--from` another stage). */
const contextCopies = image
  .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
  .map((i) => {
    const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'))
    return { stage: i.stage, sources: words.slice(0, -1), target: words.at(-1)! }
  })

describe('the container pod (deploy/compose.yaml, deploy/Dockerfile)', () => {
  it('POD-001 a validator, stage or bus port published to the host; only the link WebSocket leaves the pod, on host loopback', () => {
    const published = services.filter(([, s]) => s.ports !== undefined || s.expose !== undefined)
    expect(published.map(([name]) => name)).toEqual([POD_SERVICE])
    expect(compose.services[POD_SERVICE]!.ports).toEqual([
      {
        target: link.websocketPort,
        published: String(link.websocketPort),
        host_ip: '127.0.0.1',
        protocol: 'tcp',
      },
    ])
  })

  it('POD-002 a server or component of the topology left out of the pod, or one it does not describe run in it', () => {
    const expected = [
      POD_SERVICE,
      ...topology.buses.map((b) => natsService(b.server)),
      ...topology.identities
        .filter((i) => i.kind !== 'edge')
        .map((i) => (i.kind === 'admin' ? PROVISION_SERVICE : i.id)),
      DEMO_SERVICE,
    ]
    expect(services.map(([name]) => name).sort()).toEqual(expected.sort())
    for (const bus of topology.buses) {
      const cmd = compose.services[natsService(bus.server)]!.command
      expect(cmd.slice(0, 2)).toEqual(['sh', NATS_ENTRY])
      expect(cmd[cmd.indexOf('--server') + 1]).toBe(bus.server)
    }
    for (const backend of topology.identities.filter((i) => i.kind === 'backend')) {
      const cmd = compose.services[backend.id]!.command
      expect(cmd[cmd.indexOf('--host') + 1]).toBe(backend.host)
    }
    // The edge runs on the edge: no edge identity has a service.
    for (const edge of topology.identities.filter((i) => i.kind === 'edge'))
      expect(compose.services[edge.id]).toBeUndefined()
  })

  it('POD-003 a service on the host network, a second network or a namespace of its own', () => {
    expect(Object.keys(compose.networks)).toEqual([POD_NETWORK])
    expect(compose.networks[POD_NETWORK]).toEqual({ driver: 'bridge' })
    const pod = compose.services[POD_SERVICE]!
    expect(pod.networks).toEqual([POD_NETWORK])
    expect(pod.network_mode).toBeUndefined()
    for (const [name, s] of members) {
      expect(s.network_mode, name).toBe(`service:${POD_SERVICE}`)
      expect(s.networks, name).toBeUndefined()
    }
    for (const [name, s] of services) {
      expect(s.pid, name).toBeUndefined()
      expect(s.ipc, name).toBeUndefined()
      expect(s.extra_hosts, name).toBeUndefined()
    }
  })

  it('POD-004 a service started with another config or other overrides, so two components disagree on the topology', () => {
    const configTarget = `${CONFIG_DIR}/portcullis.config.json`
    for (const [name, s] of members) {
      expect(s.command[s.command.indexOf('--config') + 1], name).toBe(configTarget)
      // The same overrides everywhere; besides them, each process's own metrics address only.
      const { [METRICS_ENV]: metrics, ...rest } = s.environment ?? {}
      expect(rest, name).toEqual({ [OVERRIDES_ENV]: JSON.stringify(POD_OVERRIDES) })
      if (metrics !== undefined) expect(metrics, name).toMatch(/^127\.0\.0\.1:\d+$/)
      const configMount = s.volumes!.find((v) => v.target === configTarget)
      expect(configMount, name).toEqual({
        type: 'bind',
        source: '../portcullis.config.json',
        target: configTarget,
        read_only: true,
      })
    }
    const mountsOf = (s: Service) => s.volumes!.filter((v) => v.type === 'bind')
    const shared = JSON.stringify(mountsOf(members[0]![1]))
    for (const [name, s] of members) expect(JSON.stringify(mountsOf(s)), name).toBe(shared)
  })

  it('POD-005 keys, seeds or credentials baked into the image through the build context', () => {
    for (const entry of ['.portcullis', '.dev.vars', '.wrangler', 'node_modules', '.git'])
      expect(dockerignore).toContain(entry)
    expect(image.filter((i) => i.op === 'ADD')).toEqual([])
    for (const copy of contextCopies) {
      for (const source of copy.sources) {
        // Named folders and files only: no `.`, no wildcard, nothing under .portcullis.
        expect(source).toMatch(/^[a-z][\w.-]*(\/[\w.-]+)*\/?$/)
      }
    }
    // The runtime stage takes the bundles from the build stage and one script, nothing else.
    const runtimeCopies = image.filter((i) => i.stage === finalStage && i.op === 'COPY')
    expect(runtimeCopies.map((i) => i.args)).toEqual([
      `--from=build /src/dist/ ${DIST}/`,
      `deploy/nats-server.sh ${NATS_ENTRY}`,
    ])
    for (const i of image)
      expect(i.args, `${i.op} ${i.args}`).not.toMatch(/\.portcullis|seed|\.creds|\.nk\b/)
  })

  it("POD-006 a service able to write to its config, the key folder or another server's store", () => {
    const writable = new Map<string, string[]>()
    for (const [name, s] of members) {
      const keys = s.volumes!.filter((v) => v.target === KEYS_DIR)
      expect(keys, name).toEqual([
        { type: 'bind', source: '../.portcullis/keys', target: KEYS_DIR, read_only: true },
      ])
      for (const v of s.volumes!) {
        if (v.type === 'bind') expect(v.read_only, `${name} ${v.target}`).toBe(true)
        else writable.set(v.source, [...(writable.get(v.source) ?? []), name])
      }
    }
    expect(compose.services[POD_SERVICE]!.volumes).toBeUndefined()
    // One store per server and the audit sink's, each mounted by its owner alone; the
    // stages write nowhere.
    expect([...writable]).toEqual([
      ...natsServersOf(topology).map((s) => [natsService(s.name), [natsService(s.name)]]),
      ['audit-sink', ['audit-sink']],
    ])
    for (const v of Object.keys(compose.volumes)) expect(compose.volumes[v]).toEqual({})
    const stores = members.flatMap(([, s]) => s.volumes!.filter((v) => v.type === 'volume'))
    for (const v of stores as Mount[])
      expect(v.target === DATA_DIR || v.target.startsWith(`${DATA_DIR}/`)).toBe(true)
  })

  it('POD-007 a container that can gain privileges: root, privileged, added capabilities, writable root, the Docker socket', () => {
    for (const [name, s] of services) {
      expect(s.read_only, name).toBe(true)
      expect(s.cap_drop, name).toEqual(['ALL'])
      expect(s.security_opt, name).toEqual(['no-new-privileges:true'])
      for (const key of ['privileged', 'cap_add', 'devices', 'userns_mode', 'user', 'group_add'])
        expect(s[key], `${name} ${key}`).toBeUndefined()
      for (const v of s.volumes ?? []) expect(v.source, name).not.toMatch(/docker\.sock/)
      expect(s.image, name).toBe(IMAGE)
    }
    const users = image.filter((i) => i.stage === finalStage && i.op === 'USER')
    expect(users.map((u) => u.args)).toEqual(['node'])
  })

  it("INJ-050 an image without the Core Rule Set, or one from anywhere but Debian's archive", () => {
    const runs = image.filter((i) => i.stage === finalStage && i.op === 'RUN').map((i) => i.args)
    expect(
      runs.some((r) =>
        /apt-get install -y --no-install-recommends [^&]*\bmodsecurity-crs\b/.test(r),
      ),
    ).toBe(true)
  })

  it("POD-008 a nats-server binary from anywhere but Debian's archive", () => {
    const runs = image.filter((i) => i.stage === finalStage && i.op === 'RUN').map((i) => i.args)
    expect(
      runs.some((r) => /apt-get install -y --no-install-recommends nats-server\b/.test(r)),
    ).toBe(true)
    for (const i of image)
      expect(i.args, `${i.op} ${i.args}`).not.toMatch(/\b(curl|wget)\b|https?:\/\//)
    expect(image.filter((i) => i.op === 'FROM').map((i) => i.args)).toEqual([
      'node:20-bookworm-slim AS build',
      'node:20-bookworm-slim',
    ])
  })

  it('starts each stage after its streams are provisioned and its servers are up', () => {
    const provision = compose.services[PROVISION_SERVICE]!
    expect(provision.restart).toBe('no')
    expect(Object.keys(provision.depends_on!)).toEqual(
      topology.buses.filter((b) => b.jetstream).map((b) => natsService(b.server)),
    )
    for (const identity of topology.identities) {
      if (identity.kind === 'edge' || identity.kind === 'admin') continue
      const deps = compose.services[identity.id]!.depends_on!
      expect(deps[PROVISION_SERVICE]).toEqual({ condition: 'service_completed_successfully' })
      for (const bus of topology.buses.filter((b) =>
        b.grants.some((g) => g.identity === identity.id),
      ))
        expect(deps[natsService(bus.server)]).toEqual({ condition: 'service_started' })
    }
  })

  it('builds the image once, from the repository, and runs nothing the image does not hold', () => {
    const pod = compose.services[POD_SERVICE]!
    expect(pod.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' })
    expect(pod.pull_policy).toBe('build')
    for (const [name, s] of members) {
      expect(s.build, name).toBeUndefined()
      expect(s.pull_policy, name).toBe('never')
      const [cmd, ...args] = s.command
      if (cmd === 'node') {
        const bundle = args.find((a) => a.endsWith('.mjs'))!
        expect(IMAGE_MAINS.map((m) => `${DIST}/${m.replace(/\.ts$/, '.mjs')}`)).toContain(bundle)
      } else expect([cmd, args[0]]).toEqual(['sh', NATS_ENTRY])
    }
    expect(image.some((i) => i.op === 'RUN' && i.args.includes(`mkdir -p ${DATA_DIR}/nats`))).toBe(
      true,
    )
  })

  it('copies into the build stage every source folder the bundles are built from', async () => {
    const result = await build({
      entryPoints: IMAGE_MAINS.map((m) => join(REPO_ROOT, m)),
      absWorkingDir: REPO_ROOT,
      bundle: true,
      platform: 'node',
      format: 'esm',
      outdir: join(REPO_ROOT, '.portcullis', 'unused'),
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    const folders = new Set(
      Object.keys(result.metafile.inputs)
        .map((path) => path.split('/')[0]!)
        .filter((top) => top !== 'node_modules'),
    )
    const copied = contextCopies.filter((c) => c.stage === 0).flatMap((c) => c.sources)
    for (const folder of [...folders, 'cli']) expect(copied).toContain(`${folder}/`)
  })
})
