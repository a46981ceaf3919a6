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
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { edgeRateLimitTiers, rateLimitNamespaceId } from '../core/index.js'
import { edgePolicyOf, type LoadedConfig } from '../config/index.js'
import { freePort } from '../runtime/index.js'
import { edgeIdentity, readCreds } from '../topology/index.js'
import { devVarsOf, ensureJwkKeys, type JwkService } from './jwk-keys.js'
import { spawnComponent, type ManagedProcess } from './processes.js'
import { REPO_ROOT } from './root.js'

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
  /** Default the link server's websocket listener from the config. */
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
  if (!m) throw new Error(`no compatibility_date in ${WRANGLER_TOML}`)
  return m[1]!
}

export function linkUrlOf(config: LoadedConfig): string {
  return `ws://${config.bus.host}:${config.bus.ports.linkWebsocket}`
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
  if (/["\\]/.test(creds)) throw new Error('the link credentials hold a quote or a backslash')
  return `LINK_CREDS="${creds.replace(/\r?\n/g, '\\n')}"\n`
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
