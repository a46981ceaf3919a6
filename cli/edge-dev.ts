/**
 * The edge under `wrangler dev`: a wrangler config generated into a folder of the stack's
 * own (so `.wrangler/` and the Durable Object state never land in the repository), with the
 * bindings the config decides; the link's nkey seed passed as a secret through an env file
 * (wrangler prints plain vars in its banner); wrangler and workerd in one process group.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { edgePolicyOf, type LoadedConfig } from '../config/index.js'
import { freePort } from '../runtime/index.js'
import { edgeIdentity, readSeed } from '../topology/index.js'
import { spawnComponent, type ManagedProcess } from './processes.js'
import { REPO_ROOT } from './root.js'

const WRANGLER_TOML = join(REPO_ROOT, 'wrangler.toml')
const EDGE_MAIN = join(REPO_ROOT, 'edge', 'index.ts')

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

/** wrangler.toml's worker with the bindings the config decides; the seed is not in here. */
export function edgeDevConfig(config: LoadedConfig, linkUrl: string): Record<string, unknown> {
  return {
    name: 'portcullis-ingress',
    main: EDGE_MAIN,
    compatibility_date: compatibilityDate(),
    durable_objects: { bindings: [{ name: 'LINK_POOL', class_name: 'LinkPool' }] },
    migrations: [{ tag: 'v1', new_sqlite_classes: ['LinkPool'] }],
    vars: {
      POLICY: edgePolicyOf(config),
      EDGE_ID: config.edge.id,
      LINK_POOL_SIZE: String(config.edge.linkPoolSize),
      LINK_URL: linkUrl,
    },
  }
}

export async function startEdgeDev(opts: EdgeDevOptions): Promise<EdgeDev> {
  const dir = join(opts.dir ?? opts.config.paths.data, 'edge')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const configPath = join(dir, 'wrangler.json')
  const envPath = join(dir, 'link.env')
  const linkUrl = opts.linkUrl ?? linkUrlOf(opts.config)
  writeFileSync(configPath, JSON.stringify(edgeDevConfig(opts.config, linkUrl), null, 2) + '\n')
  const seed = readSeed(opts.keysDir, edgeIdentity(opts.config.edge.id))
  writeFileSync(envPath, `LINK_NKEY_SEED=${new TextDecoder().decode(seed)}\n`, { mode: 0o600 })
  seed.fill(0)

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
      '--env-file',
      envPath,
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
