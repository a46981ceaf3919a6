/**
 * `portcullis deploy --dry-run [--config file] [--out dir] [--link-url wss://...] [--domain host]`:
 * the production wrangler config of each of the three workers (the same bindings as
 * `portcullis up` gives them, cli/edge-dev.ts), wrangler's own dry run of each (a bundle, no
 * upload, no network, no Cloudflare credentials), each bundle's size against Cloudflare's
 * limits, and the steps an operator runs to deploy, printed and written to
 * `<out>/DEPLOY-STEPS.md`. Never a secret's value: the steps pipe each one from
 * `portcullis deploy secret <NAME>` into `wrangler secret put`.
 *
 * `portcullis deploy` without `--dry-run` deploys nothing: this tool holds no Cloudflare
 * credentials and talks to no account (docs/deploy.md says why).
 */
import { spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { loadConfig, type LoadedConfig } from '../../config/index.js'
import { ACCESS, BEARER } from '../../token-services/shared/index.js'
import { credsPath, edgeIdentity, readCreds } from '../../topology/index.js'
import { configFile, flag } from '../args.js'
import { edgeDevConfig, linkUrlOf, tokenWorkerDevConfig } from '../edge-dev.js'
import { jwkPath, signingKeysSecretOf, type JwkService } from '../jwk-keys.js'

const USAGE =
  'usage: portcullis deploy --dry-run [--config file] [--out dir] [--link-url wss://host[:port],...] [--domain host]\n' +
  '       portcullis deploy secret <LINK_CREDS | ACCESS_SIGNING_KEYS | BEARER_SIGNING_KEYS> [--config file] | npx wrangler secret put <NAME> ...\n'

const MIB = 1024 * 1024
/**
 * Cloudflare's Worker size limits (developers.cloudflare.com/workers/platform/limits/#worker-size,
 * checked 2026-12-07). Since 2026-09-04 one limit applies on every plan: 64 MiB uncompressed
 * (changelog 2026-09-04-increased-worker-size-limit). Before, the limit was on the gzip size:
 * 3 MiB on Workers Free, 10 MiB on Workers Paid. A bundle is held to both, so it deploys
 * whichever an account still sees; the former Free limit only warns.
 */
export const WORKER_SIZE_LIMITS = {
  uncompressedBytes: 64 * MIB,
  formerPaidGzipBytes: 10 * MIB,
  formerFreeGzipBytes: 3 * MIB,
} as const
/** Cloudflare documents 5 KB per environment variable (limits page, "Environment variables"). */
export const VAR_SIZE_LIMIT_BYTES = 5 * 1024

type WorkerKey = 'access' | 'bearer' | 'ingress'

export interface SecretSpec {
  name: string
  what: string
}

export interface WorkerPlan {
  key: WorkerKey
  name: string
  config: Record<string, unknown>
  secrets: SecretSpec[]
}

export interface BundleSize {
  files: string[]
  rawBytes: number
  gzipBytes: number
}

export interface DeployOptions {
  /** Every link node's URL, comma-separated; default the config's (`linkUrlOf`). */
  linkUrl?: string
  /** The ingress's custom domain (a host name of a zone on the account); else workers.dev. */
  domain?: string
}

interface Io {
  out: { write(text: string): unknown; isTTY?: boolean }
  err: { write(text: string): unknown }
}

/** The secrets each worker reads, by the names the workers read them under. */
export function secretsOf(key: WorkerKey, config: LoadedConfig): SecretSpec[] {
  switch (key) {
    case 'access':
    case 'bearer': {
      const name = key === 'access' ? ACCESS.keysBinding : BEARER.keysBinding
      const what =
        `the ${key} service's signing keys, \`{ "current", "previous"? }\`, from ` +
        `${jwkPath('<keys>', key)} (and ${jwkPath('<keys>', key, 'previous')} when present)`
      return [{ name, what }]
    }
    case 'ingress':
      return [
        {
          name: 'LINK_CREDS',
          what: `the link credentials of ${edgeIdentity(config.edge.id)}, from ${credsPath('<keys>', 'link', edgeIdentity(config.edge.id))}`,
        },
      ]
  }
}

/** The secret's value, read from the key folder (for a pipe into `wrangler secret put`). */
export function secretValueOf(config: LoadedConfig, name: string): string {
  const keys = config.paths.keys
  if (name === 'LINK_CREDS') {
    return new TextDecoder().decode(readCreds(keys, edgeIdentity(config.edge.id), 'link'))
  }
  const service = new Map<string, JwkService>([
    [ACCESS.keysBinding, 'access'],
    [BEARER.keysBinding, 'bearer'],
  ]).get(name)
  if (!service) {
    throw new Error(
      `no secret named ${name} (LINK_CREDS, ${ACCESS.keysBinding}, ${BEARER.keysBinding})`,
    )
  }
  return signingKeysSecretOf(keys, service)
}

/**
 * The three workers' production configs, in the order they must be deployed: the token
 * workers first, since the ingress's service bindings name them.
 */
export function productionWorkers(config: LoadedConfig, opts: DeployOptions = {}): WorkerPlan[] {
  const tokenWorker = (service: JwkService): WorkerPlan => {
    const c: Record<string, unknown> = {
      ...tokenWorkerDevConfig(service),
      workers_dev: false,
      preview_urls: false,
    }
    return { key: service, name: String(c.name), config: c, secrets: secretsOf(service, config) }
  }
  const dev = edgeDevConfig(config, opts.linkUrl ?? linkUrlOf(config))
  const ingress: Record<string, unknown> = {
    ...dev,
    // Only on Cloudflare is CF-Connecting-IP the platform's own (edge/README.md).
    vars: { ...(dev.vars as Record<string, unknown>), CLIENT_ADDRESS: 'cloudflare' },
    workers_dev: !opts.domain,
    preview_urls: false,
    ...(opts.domain && { routes: [{ pattern: opts.domain, custom_domain: true }] }),
  }
  return [
    tokenWorker('access'),
    tokenWorker('bearer'),
    {
      key: 'ingress',
      name: String(ingress.name),
      config: ingress,
      secrets: secretsOf('ingress', config),
    },
  ]
}

const LINK_URL = /^(wss?):\/\/([^\s/?#,:]+|\[[0-9a-fA-F:.]+\])(:[0-9]{1,5})?\/?$/
const PRIVATE_HOST =
  /^(localhost|127\.[0-9.]+|0\.0\.0\.0|10\.[0-9.]+|192\.168\.[0-9.]+|172\.(1[6-9]|2[0-9]|3[01])\.[0-9.]+|169\.254\.[0-9.]+|\[::1?\]|\[f[cd][0-9a-f:]*\]|\[fe80:[0-9a-f:]*\])$/i

/**
 * What is wrong with `LINK_URL` for a deployment on Cloudflare: `errors` refuse it (a URL the
 * edge cannot use; `ws://` outside LAB), `warnings` are printed (`ws://` in LAB, a host
 * Cloudflare cannot reach).
 */
export function linkUrlProblems(
  deployment: LoadedConfig['deployment'],
  linkUrl: string,
): { errors: string[]; warnings: string[] } {
  const errors: string[] = []
  const warnings: string[] = []
  const urls = linkUrl.split(',').map((u) => u.trim())
  for (const url of urls) {
    const m = LINK_URL.exec(url)
    if (!m) {
      errors.push(`LINK_URL ${JSON.stringify(url)} is not a ws:// or wss:// URL of a host and port`)
      continue
    }
    if (m[1] === 'ws') {
      const what =
        `LINK_URL ${url} is plain ws://: the link (credentials handshake, every request and answer) ` +
        `would cross the internet unencrypted`
      const fix =
        'give the link a wss:// URL: --link-url wss://<public name>[:port], served with the ' +
        "link's TLS settings (`link.tls` in the config) or through Cloudflare Tunnel (docs/deploy.md)"
      if (deployment === 'LAB')
        warnings.push(`${what}; acceptable in LAB only. For production, ${fix}`)
      else errors.push(`${what}, refused in a ${deployment} deployment: ${fix}`)
    }
    const host = m[2]!
    if (PRIVATE_HOST.test(host)) {
      warnings.push(
        `LINK_URL ${url} names a loopback or private address, which the edge on Cloudflare cannot reach; ` +
          'use the public name of the link (--link-url)',
      )
    } else if (/^[0-9.]+$|^\[/.test(host)) {
      warnings.push(
        `LINK_URL ${url} names an IP address: Cloudflare documents that deployed Workers cannot ` +
          'reach an IP address directly (Workers known issues); use a host name',
      )
    }
    const port = m[3]?.slice(1)
    if (m[1] === 'wss' && port !== undefined && port !== '443') {
      warnings.push(
        `LINK_URL ${url} names port ${port}: Cloudflare documents that a deployed Worker's ` +
          'subrequests go to the default port of the scheme (443 for wss) whatever the URL says ' +
          '(Workers known issues); publish the link on 443',
      )
    }
  }
  return { errors, warnings }
}

/** The size of a wrangler `--outdir` bundle as Cloudflare counts it: every module, no source map. */
export function measureBundle(dir: string): BundleSize {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile() && !/\.map$|^README\.md$/.test(f))
    .sort()
  const all = Buffer.concat(files.map((f) => readFileSync(join(dir, f))))
  return {
    files,
    rawBytes: all.byteLength,
    gzipBytes: gzipSync(all).byteLength,
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`

/** `ok`, or why the bundle would be refused (an error) or is close (a warning). */
export function sizeVerdict(size: Pick<BundleSize, 'rawBytes' | 'gzipBytes'>): {
  verdict: 'ok' | 'warn' | 'too large'
  reason?: string
} {
  const L = WORKER_SIZE_LIMITS
  if (size.rawBytes > L.uncompressedBytes)
    return { verdict: 'too large', reason: `over the 64 MiB uncompressed limit` }
  if (size.gzipBytes > L.formerPaidGzipBytes)
    return { verdict: 'too large', reason: `over the former 10 MiB gzip limit (Workers Paid)` }
  if (size.gzipBytes > L.formerFreeGzipBytes)
    return { verdict: 'warn', reason: `over the former 3 MiB gzip limit (Workers Free)` }
  return { verdict: 'ok' }
}

export function renderSizeTable(rows: Array<{ name: string; size: BundleSize }>): string {
  const L = WORKER_SIZE_LIMITS
  const header = ['worker', 'raw', 'gzip', 'raw/64 MiB', 'gzip/10 MiB', 'gzip/3 MiB', 'verdict']
  const body = rows.map(({ name, size }) => {
    const v = sizeVerdict(size)
    return [
      name,
      kib(size.rawBytes),
      kib(size.gzipBytes),
      pct(size.rawBytes, L.uncompressedBytes),
      pct(size.gzipBytes, L.formerPaidGzipBytes),
      pct(size.gzipBytes, L.formerFreeGzipBytes),
      v.reason ? `${v.verdict}: ${v.reason}` : v.verdict,
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd() + '\n'
  return (
    line(header) +
    body.map(line).join('') +
    'Limits: 64 MiB uncompressed on every plan since 2026-09-04; before, 10 MiB gzip on Workers Paid\n' +
    'and 3 MiB gzip on Workers Free (developers.cloudflare.com/workers/platform/limits/#worker-size).\n' +
    'Startup time (1 s to parse the bundle and run its global scope) is not measured: a dry run\n' +
    'never starts the worker.\n'
  )
}

/** Runs `wrangler deploy --dry-run --outdir`: no upload, no account, telemetry and update check off. */
async function wranglerDryRun(
  configPath: string,
  outdir: string,
): Promise<{ code: number; output: string }> {
  const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js')
  // Whatever Cloudflare credentials the caller's environment holds, a dry run gets none.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(CLOUDFLARE|CF)_/.test(k)),
  )
  const child = spawn(
    process.execPath,
    [wrangler, 'deploy', '--dry-run', '--outdir', outdir, '--config', configPath],
    {
      cwd: resolve(configPath, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        NO_COLOR: '1',
        WRANGLER_SEND_METRICS: 'false',
        // The banner is where wrangler asks the npm registry for a newer version.
        WRANGLER_HIDE_BANNER: 'true',
      },
    },
  )
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const code = await new Promise<number>((ok, fail) => {
    child.on('error', fail)
    child.on('close', (c, signal) => ok(c ?? (signal ? 128 : 1)))
  })
  return { code, output }
}

const sh = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`)

/** The operator's steps, as Markdown: wrangler commands in order, vars, secrets by name only. */
export function renderSteps(opts: {
  config: LoadedConfig
  configArg: string
  workers: Array<WorkerPlan & { configPath: string }>
  linkUrl: string
  domain?: string
  warnings?: string[]
}): string {
  const { config, workers } = opts
  const cfg = opts.configArg === 'portcullis.config.json' ? '' : ` --config ${sh(opts.configArg)}`
  const out: string[] = []
  const p = (...lines: string[]) => out.push(...lines)
  p(
    '# Deploying the edge to Cloudflare',
    '',
    `Generated by \`portcullis deploy --dry-run\` from \`${opts.configArg}\` (deployment ${config.deployment}, edge \`${config.edge.id}\`).`,
    'Run these from the repository, with wrangler logged in to the target account (`npx wrangler login`,',
    'or `CLOUDFLARE_API_TOKEN` and `CLOUDFLARE_ACCOUNT_ID` in the environment). No secret value is written',
    'here: each one is piped from the key folder into `wrangler secret put`. See docs/deploy.md.',
    '',
    ...(opts.warnings?.length
      ? ['## Warnings', '', ...opts.warnings.map((w) => `- ${w}`), '']
      : []),
    '## Before',
    '',
    `1. Keys and credentials in the key folder (\`${config.paths.keys}\`), on the host that holds it:`,
    '',
    '   ```sh',
    `   npx portcullis keys${cfg}`,
    '   ```',
    '',
    `2. The link answers at \`LINK_URL\` = \`${opts.linkUrl}\` from the internet (the pod, with the link's TLS`,
    '   settings or behind Cloudflare Tunnel: docs/deploy.md).',
    '',
    '## Deploy, in this order',
    '',
    'The token workers before the ingress: its service bindings name them. The `secret put` lines are',
    'for the first deployment and for key rotations; a later deployment keeps the secrets. On a first',
    'deployment the `secret put` comes first: it creates the Worker, so its first real version already',
    'has the secret.',
    '',
  )
  workers.forEach((w, i) => {
    const c = w.config as {
      vars?: Record<string, unknown>
      durable_objects?: { bindings: Array<{ name: string; class_name: string }> }
      migrations?: Array<{ tag: string; new_sqlite_classes?: string[] }>
      ratelimits?: Array<{
        name: string
        namespace_id: string
        simple: { limit: number; period: number }
      }>
      services?: Array<{ binding: string; service: string; entrypoint: string }>
      routes?: Array<{ pattern: string; custom_domain?: boolean }>
      workers_dev?: boolean
    }
    p(`### ${i + 1}. ${w.name}`, '', '```sh')
    for (const s of w.secrets) {
      p(
        `npx portcullis deploy secret ${s.name}${cfg} | npx wrangler secret put ${s.name} --config ${sh(w.configPath)}`,
      )
    }
    p(`npx wrangler deploy --config ${sh(w.configPath)}`, '```', '')
    p('Secrets:', '')
    for (const s of w.secrets) p(`- \`${s.name}\`: ${s.what}`)
    p('')
    const vars = Object.entries(c.vars ?? {})
    if (vars.length) {
      p('Vars (in the generated config; `wrangler deploy` sets them):', '')
      for (const [name, value] of vars) {
        const text = typeof value === 'string' ? value : JSON.stringify(value)
        p(
          name === 'POLICY'
            ? `- \`POLICY\`: the edge policy generated from the config (JSON, ${text.length} bytes)`
            : `- \`${name}\` = \`${text}\``,
        )
      }
      p('')
    }
    if (c.services?.length) {
      p('Service bindings:', '')
      for (const s of c.services) p(`- \`${s.binding}\` -> \`${s.service}\` (\`${s.entrypoint}\`)`)
      p('')
    }
    if (c.durable_objects?.bindings.length) {
      p(
        'Durable Objects and their migrations (applied by `wrangler deploy`, each tag once, in order):',
        '',
      )
      for (const b of c.durable_objects.bindings) p(`- \`${b.name}\`: class \`${b.class_name}\``)
      for (const m of c.migrations ?? [])
        p(
          `- migration \`${m.tag}\`: new SQLite-backed ${(m.new_sqlite_classes ?? []).map((n) => `\`${n}\``).join(', ')}`,
        )
      p(
        '',
        'Never edit or remove an applied tag; a rollback to a version before a migration is refused by Cloudflare.',
        '',
      )
    }
    if (c.ratelimits?.length) {
      p(
        'Rate-limit namespaces (`namespace_id` must be unique in the account: a Worker using the same id shares the counters):',
        '',
      )
      for (const r of c.ratelimits)
        p(
          `- \`${r.name}\`: namespace_id ${r.namespace_id}, ${r.simple.limit} per ${r.simple.period} s`,
        )
      p('')
    }
    if (w.key === 'ingress') {
      p('Routes:', '')
      if (c.routes?.length) {
        for (const r of c.routes)
          p(
            `- custom domain \`${r.pattern}\` (wrangler creates its DNS record and certificate; the zone must be on the account); workers.dev off`,
          )
      } else {
        p(
          '- none given (`--domain`): served on `https://portcullis-ingress.<account subdomain>.workers.dev`. For a name of',
          '  yours, run the dry run again with `--domain api.example.com` (a zone on the account).',
        )
      }
      p('')
    } else {
      p(
        'Routes: none. `workers_dev` and `preview_urls` are off: only the ingress reaches it, over its service binding.',
        '',
      )
    }
  })
  p(
    '## After',
    '',
    '- `npx wrangler tail portcullis-ingress` shows each request; a missing binding or secret is named there',
    '  (every request answers 500 `INTERNAL_ERROR` until it is set).',
    `- Rotating the edge's link credentials (\`npx portcullis keys rotate ${edgeIdentity(config.edge.id)}\`) or a signing key:`,
    '  the matching `secret put` line above again.',
    '',
  )
  return out.join('\n')
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

async function secretCommand(args: string[], io: Io): Promise<number> {
  const name = args[1]
  if (!name || name.startsWith('--')) {
    io.err.write(USAGE)
    return 2
  }
  if (io.out.isTTY) {
    io.err.write(
      `portcullis deploy secret writes ${name}'s value only into a pipe, never onto a terminal:\n` +
        `  npx portcullis deploy secret ${name} | npx wrangler secret put ${name} --config <worker config>\n`,
    )
    return 2
  }
  const config = loadConfig(configFile(args))
  let value: string
  try {
    value = secretValueOf(config, name)
  } catch (e) {
    io.err.write(`portcullis deploy secret: ${(e as Error).message}\n`)
    return 1
  }
  io.out.write(value)
  return 0
}

export async function deploy(
  args: string[],
  io: Io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  if (args[0] === 'secret') return secretCommand(args, io)
  const known = ['--dry-run', '--config', '--out', '--link-url', '--domain']
  const unknown = args.filter((a) => a.startsWith('--') && !known.includes(a))
  if (unknown.length) {
    io.err.write(USAGE)
    return 2
  }
  if (!args.includes('--dry-run')) {
    io.err.write(
      'portcullis deploy deploys nothing to a Cloudflare account: it holds no Cloudflare credentials.\n' +
        'Run `portcullis deploy --dry-run`: it checks the bundles and prints the wrangler commands to run,\n' +
        'in order (also written to <out>/DEPLOY-STEPS.md); docs/deploy.md explains each step.\n',
    )
    return 1
  }
  const configArg = configFile(args)
  const config = loadConfig(configArg)
  const domain = flag(args, 'domain')
  if (
    domain !== undefined &&
    !/^(?=.{1,253}$)([a-z0-9](-*[a-z0-9])*\.)+[a-z]{2,63}$/i.test(domain)
  ) {
    io.err.write(`portcullis deploy: --domain ${JSON.stringify(domain)} is not a host name\n`)
    return 2
  }
  const linkUrl = flag(args, 'link-url') ?? linkUrlOf(config)
  const link = linkUrlProblems(config.deployment, linkUrl)
  if (config.link.tls?.caFile !== undefined && !flag(args, 'link-url')?.startsWith('wss://'))
    link.warnings.push(
      `link.tls.caFile names a CA of your own: the edge on Cloudflare trusts only public CAs, so ` +
        `the link's certificate must chain to one (the CA file serves local runs only)`,
    )
  for (const w of link.warnings) io.err.write(`warning: ${w}\n`)
  if (link.errors.length) {
    for (const e of link.errors) io.err.write(`portcullis deploy: ${e}\n`)
    return 1
  }

  const out = resolve(flag(args, 'out') ?? join(config.paths.data, 'deploy'))
  mkdirSync(out, { recursive: true, mode: 0o700 })
  const workers = productionWorkers(config, { linkUrl, ...(domain && { domain }) }).map((w) => {
    const folder = join(out, w.key)
    mkdirSync(folder, { recursive: true })
    const configPath = join(folder, 'wrangler.json')
    writeFileSync(configPath, JSON.stringify(w.config, null, 2) + '\n')
    return { ...w, configPath: displayPath(configPath), folder }
  })

  for (const w of workers) {
    for (const [name, value] of Object.entries((w.config.vars ?? {}) as Record<string, unknown>)) {
      const bytes = Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value))
      if (bytes > VAR_SIZE_LIMIT_BYTES)
        io.err.write(
          `warning: ${w.name}'s var ${name} is ${bytes} bytes; Cloudflare documents 5 KB per variable\n`,
        )
    }
  }

  const sizes: Array<{ name: string; size: BundleSize }> = []
  for (const w of workers) {
    const bundle = join(w.folder, 'bundle')
    rmSync(bundle, { recursive: true, force: true })
    const run = await wranglerDryRun(join(w.folder, 'wrangler.json'), bundle)
    if (run.code !== 0 || !existsSync(bundle)) {
      io.err.write(run.output)
      io.err.write(`portcullis deploy: wrangler's dry run of ${w.name} failed (exit ${run.code})\n`)
      return 1
    }
    sizes.push({ name: w.name, size: measureBundle(bundle) })
  }
  io.out.write(`Bundles (wrangler deploy --dry-run, in ${displayPath(out)}/<worker>/bundle):\n\n`)
  io.out.write(renderSizeTable(sizes))

  const missing = [
    ...(['access', 'bearer'] as const).map((s) => jwkPath(config.paths.keys, s)),
    credsPath(config.paths.keys, 'link', edgeIdentity(config.edge.id)),
  ].filter((p) => !existsSync(p))
  if (missing.length)
    io.err.write(
      `note: not in the key folder yet (run \`portcullis keys\` before the secret steps): ${missing.join(', ')}\n`,
    )

  const steps = renderSteps({
    config,
    configArg,
    workers,
    linkUrl,
    warnings: link.warnings,
    ...(domain && { domain }),
  })
  const stepsPath = join(out, 'DEPLOY-STEPS.md')
  writeFileSync(stepsPath, steps)
  io.out.write(`\n${steps}\nWritten to ${displayPath(stepsPath)}\n`)

  const tooLarge = sizes.filter((s) => sizeVerdict(s.size).verdict === 'too large')
  for (const s of tooLarge)
    io.err.write(`portcullis deploy: ${s.name} is too large: ${sizeVerdict(s.size).reason}\n`)
  return tooLarge.length ? 1 : 0
}
