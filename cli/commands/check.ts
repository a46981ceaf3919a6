/**
 * `portcullis check [--config file] [--json]`: validates the config, every upstream's OpenAPI
 * document (as the loader, the edge and both validators compile it at start) and the key
 * folder, then prints what the gateway will enforce on each route. Exit 0 when the gateway
 * would start with it (missing keys are a warning: they are generated at first start), 1 with
 * the error naming the key when not, 2 on bad arguments.
 */
import { resolve } from 'node:path'
import { ConfigError, edgePolicyOf, loadConfig, type LoadedConfig } from '../../config/index.js'
import { readEdgePolicy, SetupError, type SetupErrorCode } from '../../core/index.js'
import { describeTopology, type Topology } from '../../topology/index.js'
import { compileRequestHost, compileUserDataFor } from '../../validators/lib/index.js'
import { configFile } from '../args.js'
import { KEY_FILE_KINDS, keyInventory, type KeyItem } from './check-keys.js'
import {
  enforcementDefaults,
  hostEnforcement,
  type EnforcementDefaults,
  type HostEnforcement,
  type RouteEnforcement,
} from './check-routes.js'

const USAGE = 'usage: portcullis check [--config file] [--json]\n'

export interface Io {
  out: { write(text: string): unknown }
  err: { write(text: string): unknown }
}

/** The `--json` output. */
export interface CheckReport {
  /** Absolute path of the config file. */
  config: string
  /** True when the gateway would start with this config, these documents and these keys. */
  valid: boolean
  deployment: string | null
  topology: string | null
  defaults: EnforcementDefaults | null
  hosts: HostEnforcement[]
  keys: { folder: string; items: KeyItem[] } | null
  warnings: string[]
  /** Each with its stable code, the config key (`upstreams.shop.openapi`, `paths.keys`), and what to do. */
  errors: CheckError[]
}

export interface CheckError {
  code: SetupErrorCode
  key: string
  message: string
  action: string
  /** The file at fault, when one is. */
  file?: string
}

function errorOf(e: unknown): CheckError {
  if (!(e instanceof SetupError)) throw e
  const { code, message, action, file } = e
  return { code, key: e.key ?? '', message, action, ...(file === undefined ? {} : { file }) }
}

/** `e` as a problem of `key`, keeping a setup error's code, file and action. */
function underKey(key: string, e: unknown, fallback: SetupErrorCode): ConfigError {
  const setup = e instanceof SetupError ? e : undefined
  const message = (e as Error).message
  // A failure that names its own key (`validation.scan.crsDirectory: ...`) is reported under it.
  const own = setup?.key && message.startsWith(`${setup.key}: `) ? setup.key : undefined
  return new ConfigError(setup?.key || key, own ? message.slice(own.length + 2) : message, {
    code: setup?.code ?? fallback,
    ...(setup?.file === undefined ? {} : { file: setup.file }),
    ...(setup ? { action: setup.action } : {}),
    cause: e,
  })
}

/**
 * What every component compiles at start beyond the loader: the topology, the edge's policy
 * as the worker reads it, and each host's request and response rules as the validators
 * compile them (the Core Rule Set included, for routes that scan); then what each route gets.
 */
function compileAsAtStart(config: LoadedConfig): { topology: Topology; hosts: HostEnforcement[] } {
  const topology = describeTopology(config)
  try {
    readEdgePolicy(JSON.parse(JSON.stringify(edgePolicyOf(config))))
  } catch (e) {
    const message = `the edge would refuse its policy: ${(e as Error).message}`
    throw new ConfigError('upstreams', message, {
      code: e instanceof SetupError ? e.code : 'CONFIG_INVALID',
      cause: e,
    })
  }
  const defaults = enforcementDefaults(config)
  const hosts = Object.entries(config.openapi).map(([host, doc]) => {
    try {
      compileRequestHost(host, doc, config.validation)
      compileUserDataFor({ [host]: doc }, config.validation.response)
      return hostEnforcement(config, host, defaults)
    } catch (e) {
      throw underKey(`upstreams.${host}.openapi`, e, 'OPENAPI_INVALID')
    }
  })
  return { topology, hosts }
}

export async function checkReport(file: string, now: number = Date.now()): Promise<CheckReport> {
  const report: CheckReport = {
    config: resolve(file),
    valid: false,
    deployment: null,
    topology: null,
    defaults: null,
    hosts: [],
    keys: null,
    warnings: [],
    errors: [],
  }
  let config: LoadedConfig
  let topology: Topology
  try {
    config = loadConfig(file)
    const compiled = compileAsAtStart(config)
    topology = compiled.topology
    report.hosts = compiled.hosts
  } catch (e) {
    report.errors.push(errorOf(e))
    return report
  }
  report.deployment = config.deployment
  report.topology = config.topology
  report.defaults = enforcementDefaults(config)
  const folder = config.paths.keys
  const items = await keyInventory(folder, topology, config.bus.credentialsTtlSeconds, now)
  report.keys = { folder, items }
  for (const item of items) {
    if (item.state === 'invalid' || item.state === 'expired') {
      const why = item.state === 'expired' ? `${item.problem}; \`portcullis keys\` renews it` : ''
      const message = `${item.kind} ${item.name}: ${why || item.problem}`
      const refused = new ConfigError('paths.keys', message, {
        code: 'KEY_INVALID',
        file: item.path,
      })
      report.errors.push(errorOf(refused))
    }
  }
  const missing = items.filter((i) => i.state === 'missing')
  if (missing.length > 0) {
    report.warnings.push(
      `${missing.length} of ${items.length} keys missing in ${folder}: generated at first start ` +
        '(`portcullis up`, or `portcullis keys` now)',
    )
  }
  const due = items.filter((i) => i.state === 'due')
  if (due.length > 0) {
    report.warnings.push(
      `${due.length} bus credentials due for renewal: \`portcullis keys\` renews them, so does the next start`,
    )
  }
  report.valid = report.errors.length === 0
  return report
}

// ---- text output ----

function table(rows: string[][], indent = ''): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
    )
    .join('\n')
}

function duration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`
  }
  return `${seconds}s`
}

const JSON_LIMIT_NAMES = {
  maxDepth: 'depth',
  maxStringLength: 'string',
  maxArrayLength: 'array',
  maxObjectKeys: 'keys',
} as const

function rateCell(r: RouteEnforcement): string {
  if (!r.rateLimit) return '-'
  const { limit, period, quota } = r.rateLimit
  const by = quota && quota.key !== 'subject' ? ` by ${quota.key}` : ''
  return `${limit}/${period}s${quota ? ` +quota ${quota.limit}/${duration(quota.period)}${by}` : ''}`
}

function routeRow(r: RouteEnforcement): string[] {
  return [
    r.method,
    r.path,
    r.ports.map((p) => (r.closedPorts.includes(p) ? `${p}(closed)` : String(p))).join(','),
    r.requiredClaims ?? '-',
    rateCell(r),
    r.scan ? `${r.scan.classes.join(',')} p${r.scan.paranoia}` : '-',
    r.body ? String(r.body.maxBytes) : '-',
    !r.json
      ? '-'
      : r.json.overridden.length === 0
        ? 'default'
        : r.json.overridden.map((k) => `${JSON_LIMIT_NAMES[k]} ${r.json![k]}`).join(', '),
    r.body ? `${r.body.mediaTypes.join(',')}${r.body.required ? '' : ' (optional)'}` : '-',
    r.undeclaredFields,
  ]
}

const ROUTE_HEADER = [
  'METHOD',
  'PATH',
  'PORTS',
  'CLAIMS',
  'RATE LIMIT',
  'SCAN',
  'MAX BODY',
  'JSON LIMITS',
  'MEDIA',
  'UNDECLARED',
]

function keysText(keys: NonNullable<CheckReport['keys']>): string {
  const rows = KEY_FILE_KINDS.flatMap((kind) => {
    const of = keys.items.filter((i) => i.kind === kind)
    if (of.length === 0) return []
    const present = of.filter((i) => i.state !== 'missing').length
    const expiries = of.flatMap((i) => (i.expiresAt ? [i.expiresAt] : [])).sort()
    const earliest = expiries[0] ? `earliest expiry ${expiries[0].slice(0, 10)}` : ''
    return [[kind, `${present} of ${of.length} present`, earliest]]
  })
  const problems = keys.items
    .filter((i) => i.state === 'invalid' || i.state === 'expired' || i.state === 'due')
    .map((i) => `  ${i.state}: ${i.kind} ${i.name}: ${i.problem}`)
  return [`keys in ${keys.folder}`, table(rows, '  '), ...problems].join('\n')
}

export function renderCheckText(report: CheckReport): string {
  const lines: string[] = []
  if (!report.defaults || !report.keys) return ''
  lines.push(
    `${report.config}: ${report.valid ? 'valid' : 'NOT VALID'} ` +
      `(deployment ${report.deployment}, topology ${report.topology})`,
  )
  const d = report.defaults
  const json = Object.entries(JSON_LIMIT_NAMES)
    .map(([k, name]) => `${name} ${d.json[k as keyof typeof JSON_LIMIT_NAMES]}`)
    .join(', ')
  lines.push(
    '',
    table([
      ['defaults', `max body ${d.maxBodyBytes} bytes (edge.maxBodyBytes)`],
      ['', `JSON ${json} (validation.json)`],
      ['', `scan paranoia ${d.paranoia} (validation.scan.paranoia)`],
      ['', `undeclared response fields: ${d.undeclaredFields} (validation.response)`],
    ]),
  )
  for (const h of report.hosts) {
    const count = `${h.routes.length} route${h.routes.length === 1 ? '' : 's'}`
    lines.push('', `${h.host} -> ${h.baseUrl} (${h.openapi}, ${count})`)
    lines.push(table([ROUTE_HEADER, ...h.routes.map(routeRow)], '  '))
  }
  lines.push('', keysText(report.keys))
  for (const w of report.warnings) lines.push(`warning: ${w}`)
  return `${lines.join('\n')}\n`
}

export async function check(
  args: string[],
  io: Io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let json = false
  let file: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--json' && !json) json = true
    else if (arg === '--config' && file === undefined && args[i + 1]?.startsWith('--') === false)
      file = args[++i]!
    else {
      io.err.write(USAGE)
      return 2
    }
  }
  const report = await checkReport(file ?? configFile([]))
  if (json) io.out.write(`${JSON.stringify(report, null, 2)}\n`)
  else {
    io.out.write(renderCheckText(report))
    for (const e of report.errors) {
      io.err.write(`portcullis check: ${e.code}: ${e.message} (${e.action})\n`)
    }
  }
  return report.valid ? 0 : 1
}
