/**
 * `portcullis init --openapi <file> --upstream <url> [--host name] [--out file] [--force]`:
 * writes a config with one upstream, the user's API, and the local defaults (LAB, isolated
 * topology, generated files under `.portcullis/`). What it writes is loaded with the loader
 * before it takes the file's name, so a document the gateway would refuse writes nothing.
 * Exit 1 when the loader refuses it or the file exists (without `--force`), 2 on bad arguments.
 */
import { randomBytes } from 'node:crypto'
import {
  existsSync,
  linkSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import {
  ConfigError,
  configSchema,
  loadConfig,
  RESERVED_HOST_NAMES,
  type LoadedConfig,
} from '../../config/index.js'
import { REPO_ROOT } from '../root.js'

const USAGE =
  'usage: portcullis init --openapi <file> --upstream <url> [--host name] ' +
  '[--out portcullis.config.json] [--force]\n'

export interface Io {
  out: { write(text: string): unknown }
  err: { write(text: string): unknown }
}

/** The schema's pattern for upstream names, so init and the loader agree. */
const HOST_NAME = new RegExp(
  (configSchema.properties.upstreams.propertyNames as { pattern: string }).pattern,
)
/** Words that say nothing about which API it is. */
const FILLER = new Set(['api', 'openapi', 'swagger', 'spec', 'the', 'v1', 'v2', 'v3'])

/** Undefined when `name` may name an upstream, else why not. */
export function hostNameProblem(name: string): string | undefined {
  if (!HOST_NAME.test(name)) {
    return `${JSON.stringify(name)} is not a host name: 1 to 63 lowercase letters, digits and -, starting with a letter or digit`
  }
  if (RESERVED_HOST_NAMES.includes(name)) return `${name} is reserved for the gateway`
  return undefined
}

/**
 * A host name from free text (a document's title, a file name): lowercase words joined by
 * `-`, words like `api` left out when others remain, at most 32 characters; undefined when
 * nothing usable is left.
 */
export function hostNameOf(text: string): string | undefined {
  const words = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
  const telling = words.filter((w) => !FILLER.has(w))
  let name = ''
  for (const word of telling.length > 0 ? telling : words) {
    const next = name ? `${name}-${word}` : word
    if (next.length > 32) break
    name = next
  }
  if (!name) name = (telling[0] ?? words[0] ?? '').slice(0, 32)
  return name && hostNameProblem(name) === undefined ? name : undefined
}

/** The upstream URL as the config takes it (trailing slashes dropped), or why it cannot be. */
export function upstreamUrl(value: string): { url: string } | { problem: string } {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { problem: `${JSON.stringify(value)} is not a URL (http://host:port or https://host)` }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { problem: `${url.protocol.slice(0, 16)} is not http or https` }
  }
  if (url.username || url.password) {
    return { problem: 'the URL carries credentials; the config file is no place for them' }
  }
  if (!url.hostname) return { problem: 'the URL has no host' }
  if (url.search || url.hash || value.includes('?') || value.includes('#')) {
    return {
      problem: 'the URL has a query or fragment; the upstream URL is a base to add paths to',
    }
  }
  if (/\s/.test(value)) return { problem: 'the URL contains white space' }
  const path = url.pathname.replace(/\/+$/, '')
  return { url: `${url.protocol}//${url.host}${path}` }
}

interface InitArgs {
  openapi: string
  upstream: string
  host?: string
  out: string
  force: boolean
}

function parseArgs(args: string[]): InitArgs | string {
  const values: Record<string, string> = {}
  let force = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--force') {
      force = true
      continue
    }
    const name = arg.slice(2)
    if (!['--openapi', '--upstream', '--host', '--out'].includes(arg))
      return `unknown argument ${arg}`
    if (Object.hasOwn(values, name)) return `${arg} given twice`
    const value = args[++i]
    if (value === undefined || value.startsWith('--') || value === '') return `${arg} needs a value`
    values[name] = value
  }
  if (!values.openapi) return '--openapi <file> is required: the OpenAPI document of your API'
  if (!values.upstream) return '--upstream <url> is required: where your API listens'
  return {
    openapi: values.openapi,
    upstream: values.upstream,
    ...(values.host !== undefined ? { host: values.host } : {}),
    out: values.out ?? 'portcullis.config.json',
    force,
  }
}

/** The config init writes: the repository's own defaults, the user's API as the one upstream. */
export function initialConfig(host: string, baseUrl: string, openapi: string): object {
  return {
    deployment: 'LAB',
    topology: 'isolated',
    edge: { id: 'local', port: 8787, deadlineMs: 15000 },
    upstreams: { [host]: { baseUrl, openapi, timeoutMs: 10000 } },
    paths: { keys: '.portcullis/keys', data: '.portcullis/data' },
  }
}

/** How a path is given on a command line run from `from`: relative when below it. */
function shown(path: string, from: string): string {
  const rel = relative(from, path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

function titleOf(config: LoadedConfig, host: string): string | undefined {
  const info = config.openapi[host]?.info as { title?: unknown } | undefined
  return typeof info?.title === 'string' ? info.title : undefined
}

export async function init(
  args: string[],
  io: Io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const parsed = parseArgs(args)
  const usage = (problem: string) => {
    io.err.write(`portcullis init: ${problem}\n${USAGE}`)
    return 2
  }
  if (typeof parsed === 'string') return usage(parsed)
  const url = upstreamUrl(parsed.upstream)
  if ('problem' in url) return usage(`--upstream: ${url.problem}`)
  if (parsed.host !== undefined) {
    const problem = hostNameProblem(parsed.host)
    if (problem) return usage(`--host: ${problem}`)
  }
  const openapi = resolve(parsed.openapi)
  if (!existsSync(openapi) || !statSync(openapi).isFile()) {
    return usage(`--openapi: no file at ${openapi}`)
  }
  const out = resolve(parsed.out)
  if (existsSync(out) && !parsed.force) {
    io.err.write(
      `portcullis init: ${out} exists; --force replaces it, --out <file> writes another\n`,
    )
    return 1
  }

  // The document's path as the config gives it: relative to the config file, with `/`.
  const folder = dirname(out)
  const docPath = relative(folder, openapi).split(sep).join('/')
  const fileName = basename(openapi, extname(openapi))
  let host = parsed.host ?? hostNameOf(fileName) ?? 'api'
  // Written beside its final name and loaded from there, so relative paths resolve the same.
  const temp = join(folder, `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`)
  const write = () =>
    writeFileSync(temp, `${JSON.stringify(initialConfig(host, url.url, docPath), null, 2)}\n`)
  let config: LoadedConfig
  try {
    mkdirSync(folder, { recursive: true })
    write()
    config = loadConfig(temp)
    const titled = parsed.host === undefined ? hostNameOf(titleOf(config, host) ?? '') : undefined
    if (titled && titled !== host) {
      host = titled
      write()
      config = loadConfig(temp)
    }
    if (parsed.force) renameSync(temp, out)
    else linkSync(temp, out) // fails if the name was taken meanwhile: never replaced unasked
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err.write(`portcullis init: ${e.message}\n`)
      return 1
    }
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      io.err.write(`portcullis init: ${out} exists; --force replaces it\n`)
      return 1
    }
    io.err.write(`portcullis init: cannot write ${out}: ${(e as Error).message}\n`)
    return 1
  } finally {
    rmSync(temp, { force: true })
  }

  const routes = config.routes[host]!.routes.length
  const cwd = process.cwd()
  const configArg = shown(out, cwd)
  // `npm start` runs in the repository's folder, whatever folder it is typed in.
  const startArg = shown(out, REPO_ROOT)
  io.out.write(
    [
      `wrote ${configArg}: upstream ${host} -> ${url.url}, ${routes} route${routes === 1 ? '' : 's'} from ${docPath}`,
      `the edge will serve it under http://127.0.0.1:${config.edge.port}/${host}/`,
      '',
      'next:',
      `  npx portcullis check --config ${configArg}    what each route will enforce`,
      `  npm start -- --config ${startArg}    the whole stack, your API behind it`,
      '',
    ].join('\n'),
  )
  return 0
}
