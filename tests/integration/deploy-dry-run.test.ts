/**
 * `portcullis deploy --dry-run` as CI runs it: the repository's default config (its key and
 * data folders moved into a temporary folder, with fresh keys), wrangler's own dry run of
 * each worker with no Cloudflare credentials and, where `unshare -rn` is allowed, no network
 * at all (a namespace whose only interface, loopback, is down).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../cli/root.js'
import { ensureJwkKeys, readJwkKey } from '../../cli/jwk-keys.js'
import {
  deploy,
  linkUrlProblems,
  measureBundle,
  secretValueOf,
  sizeVerdict,
  WORKER_SIZE_LIMITS,
} from '../../cli/commands/deploy.js'
import { loadConfig } from '../../config/index.js'
import { describeTopology, ensureCredentials, readCreds } from '../../topology/index.js'

const CLI = join(REPO_ROOT, 'cli', 'portcullis.mjs')
const SECRETS = ['ACCESS_SIGNING_KEYS', 'BEARER_SIGNING_KEYS', 'LINK_CREDS']
const WORKERS = ['access', 'bearer', 'ingress'] as const
const NAMES = {
  access: 'portcullis-access-token',
  bearer: 'portcullis-bearer-token',
  ingress: 'portcullis-ingress',
}
/** Without a network: `unshare -rn` (a user and a network namespace), where the kernel allows it. */
const OFFLINE = spawnSync('unshare', ['-rn', 'true']).status === 0

let dir: string
let keysDir: string
let labConfig: string
let prodConfig: string
let out: string
let run: { code: number; stdout: string; stderr: string; ms: number }

/** The repository's config with its folders in `dir` and each OpenAPI path absolute. */
function writeConfig(path: string, patch: Record<string, unknown> = {}): string {
  const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'portcullis.config.json'), 'utf8')) as {
    upstreams: Record<string, { openapi: string }>
  }
  for (const u of Object.values(raw.upstreams)) u.openapi = resolve(REPO_ROOT, u.openapi)
  // A real published document beside the demo: a route table well over a var's 5 KB.
  raw.upstreams.petstore = {
    baseUrl: 'https://petstore.internal.example',
    openapi: join(REPO_ROOT, 'openapi/fixtures/swagger-petstore/openapi.yaml'),
  } as (typeof raw.upstreams)[string]
  const paths = { keys: keysDir, data: join(dir, 'data') }
  writeFileSync(path, JSON.stringify({ ...raw, paths, ...patch }, null, 2))
  return path
}

/** The CLI with no Cloudflare credential anywhere: none in the environment, a HOME of its own. */
function cli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const home = join(dir, 'home')
  mkdirSync(home, { recursive: true })
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(CLOUDFLARE|CF)_/.test(k)),
  )
  const argv = [process.execPath, CLI, ...args]
  const started = Date.now()
  const child = spawn(OFFLINE ? 'unshare' : argv[0]!, OFFLINE ? ['-rn', ...argv] : argv.slice(1), {
    cwd: dir,
    env: { ...env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((ok, fail) => {
    child.on('error', fail)
    child.on('close', (code) => ok({ code: code ?? 1, stdout, stderr, ms: Date.now() - started }))
  })
}

function io() {
  const text = { out: '', err: '' }
  return {
    text,
    io: {
      out: { write: (t: string) => (text.out += t) },
      err: { write: (t: string) => (text.err += t) },
    },
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-deploy-'))
  keysDir = join(dir, 'keys')
  labConfig = writeConfig(join(dir, 'lab.config.json'))
  prodConfig = writeConfig(join(dir, 'prod.config.json'), {
    deployment: 'PROD',
    // The listener runs without TLS (as behind a tunnel); the edge must still dial wss://.
    link: { allowPlaintext: true },
  })
  await ensureJwkKeys(keysDir)
  await ensureCredentials(keysDir, describeTopology(loadConfig(labConfig)), { ttlSeconds: 600 })
  out = join(dir, 'out')
  run = await cli(['deploy', '--dry-run', '--config', labConfig, '--out', out])
  if (!OFFLINE) console.warn('unshare -rn is not allowed here: the dry run ran with the network up')
  console.log(`portcullis deploy --dry-run: ${run.ms} ms\n${run.stdout.split('\n# ')[0]}`)
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('portcullis deploy --dry-run', () => {
  it('bundles all three workers with no credentials and no network, each under the size limits', () => {
    expect(run.stderr).not.toMatch(/portcullis deploy:/)
    expect(run.code).toBe(0)
    for (const w of WORKERS) {
      const bundle = join(out, w, 'bundle')
      // The ingress's entry is generated beside its config (the policy bundled in).
      expect(existsSync(join(bundle, w === 'ingress' ? 'entry.js' : 'index.js'))).toBe(true)
      const size = measureBundle(bundle)
      expect(size.rawBytes).toBeGreaterThan(10_000)
      expect(size.rawBytes).toBeLessThan(WORKER_SIZE_LIMITS.uncompressedBytes)
      expect(size.gzipBytes).toBeLessThan(WORKER_SIZE_LIMITS.formerFreeGzipBytes)
      // The table prints what is on disk, as wrangler counts it.
      const kib = (n: number) => `${(n / 1024).toFixed(2)} KiB`
      expect(run.stdout).toMatch(
        new RegExp(
          `^${NAMES[w]}\\s+${kib(size.rawBytes)}\\s+${kib(size.gzipBytes)}\\s.*\\sok$`,
          'm',
        ),
      )
      const config = JSON.parse(readFileSync(join(out, w, 'wrangler.json'), 'utf8'))
      expect(config).toMatchObject({ name: NAMES[w], preview_urls: false })
    }
    expect(run.stdout).toMatch(/Startup time .* is not measured/)
    // The edge policy is in the ingress's bundle, not a var (a var holds at most 5 KB).
    const ingress = JSON.parse(readFileSync(join(out, 'ingress', 'wrangler.json'), 'utf8'))
    expect(ingress.vars.POLICY).toBeUndefined()
    const policy = readFileSync(join(out, 'ingress', 'policy.json'), 'utf8')
    expect(policy.length).toBeGreaterThan(5 * 1024)
    expect(JSON.parse(policy).hosts.petstore.routes.length).toBe(19)
    const bundled = readFileSync(join(out, 'ingress', 'bundle', 'entry.js'), 'utf8')
    expect(bundled).toContain('/pet/{petId}/uploadImage')
    expect(run.stderr).not.toMatch(/5 KB/)
    // LAB may keep a ws:// link, with a warning.
    expect(run.stderr).toMatch(/warning: LINK_URL ws:\/\/127\.0\.0\.1:7421 is plain ws:\/\//)
  })

  it('writes the steps: token workers before the ingress, every secret by name, never a value', () => {
    const steps = readFileSync(join(out, 'DEPLOY-STEPS.md'), 'utf8')
    expect(run.stdout).toContain(steps)
    for (const name of SECRETS) {
      expect(steps).toMatch(
        new RegExp(`npx portcullis deploy secret ${name} .*\\| npx wrangler secret put ${name} `),
      )
    }
    const at = (w: string) =>
      steps.search(new RegExp(`npx wrangler deploy --config \\S*/${w}/wrangler\\.json`))
    expect(at('access')).toBeGreaterThan(0)
    expect(at('access')).toBeLessThan(at('ingress'))
    expect(at('bearer')).toBeLessThan(at('ingress'))
    for (const v of ['EDGE_ID', 'LINK_POOL_SIZE', 'LINK_URL', 'CLIENT_ADDRESS'])
      expect(steps).toContain(`\`${v}\``)
    expect(steps).toMatch(/bundled into the worker: `ingress\/policy\.json`/)
    for (const t of ['LinkPool', 'RateQuota', 'Revocations', 'RATE_LIMIT_5_PER_10', '10000005'])
      expect(steps).toContain(t)

    const config = loadConfig(labConfig)
    const creds = new TextDecoder().decode(readCreds(keysDir, 'edge-local', 'link'))
    const values = [
      ...SECRETS.map((name) => secretValueOf(config, name)),
      ...creds.split('\n').filter((l) => l.length > 40 && !l.startsWith('---')),
      ...(['access', 'bearer'] as const).map((s) => readJwkKey(keysDir, s).d),
    ]
    expect(values.length).toBeGreaterThan(4)
    const written = [
      run.stdout,
      run.stderr,
      steps,
      ...WORKERS.map((w) => readFileSync(join(out, w, 'wrangler.json'), 'utf8')),
    ]
    for (const text of written) {
      for (const value of values) expect(text.includes(value)).toBe(false)
      expect(text).not.toMatch(/\bS[UOA][A-Z2-7]{55}\b/) // an nkey seed
    }
  })

  it('deploy secret writes a value into a pipe, as wrangler secret put reads it, never onto a terminal', async () => {
    const piped = await cli(['deploy', 'secret', 'LINK_CREDS', '--config', labConfig])
    expect(piped.code).toBe(0)
    expect(piped.stdout).toBe(new TextDecoder().decode(readCreds(keysDir, 'edge-local', 'link')))
    const { text, io: tty } = io()
    const code = await deploy(['secret', 'LINK_CREDS', '--config', labConfig], {
      ...tty,
      out: { ...tty.out, isTTY: true },
    })
    expect(code).toBe(2)
    expect(text.out).toBe('')
    expect(text.err).toMatch(/only into a pipe/)
  })

  it('refuses a ws:// link in a PROD deployment, naming the fix, before building anything', async () => {
    const prodOut = join(dir, 'prod-out')
    for (const extra of [[], ['--link-url', 'ws://link.example.com:443']]) {
      const { text, io: capture } = io()
      const code = await deploy(
        ['--dry-run', '--config', prodConfig, '--out', prodOut, ...extra],
        capture,
      )
      expect(code).toBe(1)
      expect(text.err).toMatch(
        /portcullis deploy: LINK_URL ws:\/\/\S+ is plain ws:\/\/.*refused in a PROD deployment: give the link a wss:\/\/ URL/,
      )
      expect(text.err).toContain('`link.tls` in the config')
      expect(existsSync(prodOut)).toBe(false)
    }
    expect(linkUrlProblems('PROD', 'wss://link.example.com:443')).toEqual({
      errors: [],
      warnings: [],
    })
    expect(
      linkUrlProblems('PROD', 'wss://a.example.com,ws://b.example.com:7421').errors,
    ).toHaveLength(1)
    expect(linkUrlProblems('PROD', 'https://link.example.com').errors).toHaveLength(1)
    // Deployed Workers send wss:// to 443 and reach no bare IP address: warned, not refused.
    expect(linkUrlProblems('PROD', 'wss://link.example.com:7421').warnings).toEqual([
      expect.stringMatching(/names port 7421: .* publish the link on 443/),
    ])
    expect(linkUrlProblems('PROD', 'wss://203.0.113.5:443').warnings).toEqual([
      expect.stringMatching(/names an IP address/),
    ])
  })

  it('a bundle over a limit fails the run; over the former Free limit it only warns', () => {
    const MiB = 1024 * 1024
    expect(sizeVerdict({ rawBytes: 65 * MiB, gzipBytes: 9 * MiB }).verdict).toBe('too large')
    expect(sizeVerdict({ rawBytes: 40 * MiB, gzipBytes: 11 * MiB }).verdict).toBe('too large')
    expect(sizeVerdict({ rawBytes: 20 * MiB, gzipBytes: 4 * MiB }).verdict).toBe('warn')
    expect(sizeVerdict({ rawBytes: 1 * MiB, gzipBytes: 0.2 * MiB }).verdict).toBe('ok')
  })

  it('without --dry-run it deploys nothing and points to the dry run', async () => {
    const { text, io: capture } = io()
    expect(await deploy(['--config', labConfig], capture)).toBe(1)
    expect(text.err).toMatch(
      /deploys nothing to a Cloudflare account.*\n.*portcullis deploy --dry-run/,
    )
  })
})
