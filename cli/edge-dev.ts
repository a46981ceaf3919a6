/**
 * The edge under `wrangler dev`: the ingress and both token workers in one multi-config
 * `wrangler dev` (the ingress's config first: it is the one that serves), each config
 * generated into a folder of the stack's own (so `.wrangler/` and the Durable Object state
 * never land in the repository). Secrets never go into a config: wrangler prints plain vars
 * in its banner. The link's credentials reach the ingress through `--env-file`; each token
 * worker's signing keys through a `.dev.vars` next to its config (wrangler reads that file
 * for the other configs, which get no `--env-file`). wrangler and workerd run in one
 * process group.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { edgeRateLimitTiers, rateLimitNamespaceId, SetupError } from '../core/index.js'
import { ConfigError, edgePolicyOf, type LoadedConfig } from '../config/index.js'
import { freePort } from '../runtime/index.js'
import {
  credsPath,
  describeTopology,
  edgeIdentity,
  linkWebsocketUrls,
  readCreds,
} from '../topology/index.js'
import { devVarsOf, ensureJwkKeys, type JwkService } from './jwk-keys.js'
import { spawnComponent, type ManagedProcess } from './processes.js'
import { REPO_ROOT } from './root.js'

/** USER_HZ of /proc/<pid>/stat: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100

const WRANGLER_TOML = join(REPO_ROOT, 'wrangler.toml')
const EDGE_MAIN = join(REPO_ROOT, 'edge', 'index.ts')

/** The token workers, by the service name of their key files. */
const TOKEN_WORKERS: Record<JwkService, { name: string; entrypoint: string; binding: string }> = {
  access: {
    name: 'portcullis-access-token',
    entrypoint: 'AccessTokenService',
    binding: 'ACCESS_TOKENS',
  },
  bearer: {
    name: 'portcullis-bearer-token',
    entrypoint: 'BearerTokenService',
    binding: 'BEARER_TOKENS',
  },
}

export interface EdgeDevOptions {
  config: LoadedConfig
  keysDir: string
  /** The edge's files go to `<dir>/edge`; default the config's data folder. */
  dir?: string
  /** Default `config.edge.port`. */
  port?: number
  /** Default every link node's websocket listener from the config, comma-separated. */
  linkUrl?: string
  /** Chrome DevTools inspector of the worker; default a free port. */
  inspectorPort?: number
  onLine: (line: string) => void
}

export interface EdgeDev extends ManagedProcess {
  url: string
}

/** The compatibility date of the repository's wrangler.toml, so the two cannot drift apart. */
function compatibilityDate(): string {
  const m = /^compatibility_date\s*=\s*"([0-9-]+)"/m.exec(readFileSync(WRANGLER_TOML, 'utf8'))
  if (!m) {
    throw new SetupError('CONFIG_INVALID', `no compatibility_date in ${WRANGLER_TOML}`, {
      file: WRANGLER_TOML,
      action: "restore the repository's wrangler.toml (git checkout wrangler.toml)",
    })
  }
  return m[1]!
}

/** `LINK_URL`: the websocket URL of every node of the link, comma-separated (edge/link/urls.ts). */
export function linkUrlOf(config: LoadedConfig): string {
  return linkWebsocketUrls(describeTopology(config)).join(',')
}

/** The PEM certificates of a file, nothing else (a key in it would stop workerd). */
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * The CA the edge trusts for the link's certificate (`link.tls.caFile`), as wrangler takes it:
 * `NODE_EXTRA_CA_CERTS` in wrangler's environment, whose certificates miniflare adds to the
 * trust store of workerd's outbound network (on top of the public CAs workerd trusts anyway).
 * Written to `<dir>/link-ca.pem` with the certificates of an `NODE_EXTRA_CA_CERTS` already set,
 * so those stay trusted. Nothing when the config names no CA (a public certificate needs none).
 */
export function linkCaEnvOf(
  config: Pick<LoadedConfig, 'link'>,
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): { NODE_EXTRA_CA_CERTS?: string } {
  const caFile = config.link.tls?.caFile
  if (caFile === undefined) return {}
  let text: string
  try {
    text = readFileSync(caFile, 'utf8')
  } catch (e) {
    throw new ConfigError('link.tls.caFile', `cannot read ${caFile}: ${(e as Error).message}`, {
      code: 'KEY_MISSING',
      file: caFile,
      action: 'point link.tls.caFile at the PEM file of the CA that signed the link certificate',
    })
  }
  const certificates: string[] = [...(text.match(PEM_CERTIFICATE) ?? [])]
  if (!certificates.length) {
    throw new ConfigError('link.tls.caFile', `no PEM certificate in ${caFile}`, {
      code: 'KEY_INVALID',
      file: caFile,
      action: 'point link.tls.caFile at the PEM file of the CA that signed the link certificate',
    })
  }
  const inherited = env.NODE_EXTRA_CA_CERTS
  if (inherited) {
    try {
      certificates.push(...(readFileSync(inherited, 'utf8').match(PEM_CERTIFICATE) ?? []))
    } catch {
      // Unreadable: wrangler would have ignored it too.
    }
  }
  const path = join(dir, 'link-ca.pem')
  writeFileSync(path, certificates.join('\n') + '\n')
  return { NODE_EXTRA_CA_CERTS: path }
}

/** wrangler.toml's worker with the bindings the config decides; the credentials are not in here. */
export function edgeDevConfig(config: LoadedConfig, linkUrl: string): Record<string, unknown> {
  const policy = edgePolicyOf(config)
  return {
    name: 'portcullis-ingress',
    main: EDGE_MAIN,
    compatibility_date: compatibilityDate(),
    durable_objects: {
      bindings: [
        { name: 'LINK_POOL', class_name: 'LinkPool' },
        { name: 'RATE_QUOTA', class_name: 'RateQuota' },
      ],
    },
    migrations: [
      { tag: 'v1', new_sqlite_classes: ['LinkPool'] },
      { tag: 'v2', new_sqlite_classes: ['RateQuota'] },
    ],
    // One binding per (limit, period) the configured routes and the token endpoint use
    // (core/policy/rate-limit.ts).
    ratelimits: edgeRateLimitTiers(policy).map((t) => ({
      name: t.binding,
      namespace_id: rateLimitNamespaceId(t.limit, t.period),
      simple: { limit: t.limit, period: t.period },
    })),
    services: Object.values(TOKEN_WORKERS).map((w) => ({
      binding: w.binding,
      service: w.name,
      entrypoint: w.entrypoint,
    })),
    vars: {
      POLICY: policy,
      EDGE_ID: config.edge.id,
      LINK_POOL_SIZE: String(config.edge.linkPoolSize),
      LINK_URL: linkUrl,
      ...(config.tracing.otlpUrl && { OTLP_TRACES_URL: config.tracing.otlpUrl }),
    },
  }
}

/** A token worker's config; its signing keys are in the `.dev.vars` beside it. */
export function tokenWorkerDevConfig(service: JwkService): Record<string, unknown> {
  const config: Record<string, unknown> = {
    name: TOKEN_WORKERS[service].name,
    main: join(REPO_ROOT, 'token-services', service, 'index.ts'),
    compatibility_date: compatibilityDate(),
    workers_dev: false,
  }
  if (service === 'bearer') {
    config.durable_objects = { bindings: [{ name: 'REVOCATIONS', class_name: 'Revocations' }] }
    config.migrations = [{ tag: 'v1', new_sqlite_classes: ['Revocations'] }]
  }
  return config
}

function writeTokenWorker(dir: string, keysDir: string, service: JwkService): string {
  const folder = join(dir, service)
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  const configPath = join(folder, 'wrangler.json')
  writeFileSync(configPath, JSON.stringify(tokenWorkerDevConfig(service), null, 2) + '\n')
  writeFileSync(join(folder, '.dev.vars'), devVarsOf(keysDir, service), { mode: 0o600 })
  // writeFileSync's mode applies only when it creates the file.
  chmodSync(join(folder, '.dev.vars'), 0o600)
  return configPath
}

/**
 * The env file line carrying the edge's link credentials. A creds file spans lines; wrangler's
 * env-file reader turns `\n` back into line breaks inside a double-quoted value.
 */
export function linkEnvOf(keysDir: string, edgeId: string): string {
  const creds = new TextDecoder().decode(readCreds(keysDir, edgeIdentity(edgeId), 'link'))
  if (/["\\]/.test(creds)) {
    const file = credsPath(keysDir, 'link', edgeIdentity(edgeId))
    throw new SetupError('KEY_INVALID', 'the link credentials hold a quote or a backslash', {
      file,
    })
  }
  return `LINK_CREDS="${creds.replace(/\r?\n/g, '\\n')}"\n`
}

/**
 * Writes the edge's policy from a reloaded config into the worker's generated config, which
 * `wrangler dev` watches: it reloads the worker, holding new requests until the new version
 * serves. The link's URL stays what the edge started with. Returns false when nothing changed.
 */
export function updateEdgePolicy(config: LoadedConfig, dir?: string): boolean {
  const configPath = join(resolve(dir ?? config.paths.data, 'edge'), 'wrangler.json')
  const before = readFileSync(configPath, 'utf8')
  const running = JSON.parse(before) as { vars: { LINK_URL: string } }
  const after = JSON.stringify(edgeDevConfig(config, running.vars.LINK_URL), null, 2) + '\n'
  if (after === before) return false
  writeFileSync(configPath, after)
  return true
}

export async function startEdgeDev(opts: EdgeDevOptions): Promise<EdgeDev> {
  const dir = resolve(opts.dir ?? opts.config.paths.data, 'edge')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const configPath = join(dir, 'wrangler.json')
  const envPath = join(dir, 'link.env')
  const linkUrl = opts.linkUrl ?? linkUrlOf(opts.config)
  writeFileSync(configPath, JSON.stringify(edgeDevConfig(opts.config, linkUrl), null, 2) + '\n')
  writeFileSync(envPath, linkEnvOf(opts.keysDir, opts.config.edge.id), { mode: 0o600 })
  chmodSync(envPath, 0o600)
  await ensureJwkKeys(opts.keysDir)
  const tokenConfigs = (['access', 'bearer'] as const).map((s) =>
    writeTokenWorker(dir, opts.keysDir, s),
  )

  const port = opts.port ?? opts.config.edge.port
  const url = `http://127.0.0.1:${port}`
  const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js')
  const child = await spawnComponent({
    name: 'edge',
    command: process.execPath,
    args: [
      wrangler,
      'dev',
      '--config',
      configPath,
      ...tokenConfigs.flatMap((path) => ['--config', path]),
      // Absolute: wrangler resolves it against the config's folder otherwise.
      '--env-file',
      resolve(envPath),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      // The default inspector port (9229) collides when two stacks run.
      '--inspector-port',
      String(opts.inspectorPort ?? (await freePort())),
      '--persist-to',
      join(dir, 'state'),
      '--show-interactive-dev-session=false',
      '--log-level',
      'info',
    ],
    cwd: dir,
    env: {
      ...process.env,
      NO_COLOR: '1',
      // Loopback only: no telemetry, no fetch of Cloudflare's request.cf data.
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      ...linkCaEnvOf(opts.config, dir),
    },
    // Any answer from the worker itself (its 404 for an unknown host) means it serves.
    readyCheck: () =>
      fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
        (res) => res.headers.has('x-request-id'),
        () => false,
      ),
    readyTimeoutMs: 90_000,
    onLine: (_name, line) => opts.onLine(line),
  })
  return { ...child, url }
}

/** A workerd process under `wrangler dev`: `proxy` is wrangler's dev proxy, `workers` runs ours. */
export interface WorkerdProcess {
  pid: number
  role: 'workers' | 'proxy'
}

/** Parent pid and command name of a process, from `/proc/<pid>/stat`; undefined once gone. */
function statOf(pid: number): { ppid: number; comm: string; fields: string[] } | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name is in parentheses and may hold spaces; the fields follow its last ')'.
  const close = text.lastIndexOf(')')
  const comm = text.slice(text.indexOf('(') + 1, close)
  const fields = text.slice(close + 2).split(' ')
  return { ppid: Number(fields[1]), comm, fields }
}

/**
 * The workerd processes of an edge under `wrangler dev` (descendants of its wrangler process
 * `rootPid`, serving `port`): the CPU a benchmark counts for the ingress is the `workers` one's.
 */
export function workerdProcessesOf(rootPid: number, port: number): WorkerdProcess[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    const stat = statOf(Number(entry))
    if (!stat) continue
    const list = children.get(stat.ppid) ?? []
    list.push(Number(entry))
    children.set(stat.ppid, list)
  }
  const found: number[] = []
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (statOf(child)?.comm === 'workerd') found.push(child)
      walk(child)
    }
  }
  walk(rootPid)
  return found.map((pid) => ({ pid, role: roleOf(pid, port) }))
}

/** wrangler's proxy workerd listens on the edge's own port; the other one runs the workers. */
function roleOf(pid: number, port: number): WorkerdProcess['role'] {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  return args.some((a) => a.startsWith('--socket-addr=') && a.endsWith(`:${port}`))
    ? 'proxy'
    : 'workers'
}

/** CPU time (user + system) `pid` has used so far, in microseconds. */
export function cpuMicrosOf(pid: number): number {
  const stat = statOf(pid)
  if (!stat) return NaN
  // utime and stime, fields 14 and 15 of stat(5), counted from the state field (3).
  const ticks = Number(stat.fields[11]) + Number(stat.fields[12])
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND
}
