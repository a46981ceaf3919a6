/**
 * Reads the one config file, applies defaults, validates it against the schema and loads
 * every upstream's OpenAPI document. Refuses to start on any error, naming the key.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import {
  compileRoutes,
  isObject,
  readIdentityProviders,
  SetupError,
  type EdgePolicy,
  type OpenApiDocument,
  type RouteTable,
  type SetupErrorCode,
  type SetupErrorOptions,
} from '../core/index.js'
import { loadOpenApi, readSource, shownPath, SourceError } from '../openapi/index.js'
import { configSchema } from './schema.js'
import type { BusPorts, Config } from './types.js'

/**
 * A config the gateway refuses, naming the key (`''` for the file as a whole). The code is
 * CONFIG_INVALID unless the cause knows better (the file unreadable, a document refused).
 */
export class ConfigError extends SetupError {
  declare readonly key: string
  constructor(
    key: string,
    message: string,
    options: Omit<SetupErrorOptions, 'key'> & { code?: SetupErrorCode } = {},
  ) {
    const { code = 'CONFIG_INVALID', ...rest } = options
    super(code, `config ${key || '(root)'}: ${message}`, { ...rest, key })
    this.name = 'ConfigError'
  }
}

/** A failure of an upstream's document as its config key's error, keeping its code and file. */
function documentError(key: string, message: string, e: unknown, file: string): ConfigError {
  const code = e instanceof SetupError ? e.code : 'OPENAPI_UNREADABLE'
  return new ConfigError(key, message, {
    code,
    file: e instanceof SetupError && e.file !== undefined ? e.file : file,
    cause: e,
  })
}

export interface LoadedConfig extends Config {
  /** Absolute path of the config file; relative paths in it resolve against its folder. */
  file: string
  openapi: Record<string, OpenApiDocument>
  routes: Record<string, RouteTable>
  /** Per upstream, the absolute path of every file its OpenAPI document was read from. */
  openapiFiles: Record<string, string[]>
}

/** First path segments the edge answers itself (`POST /oauth2/token`). */
export const RESERVED_HOST_NAMES: readonly string[] = ['oauth2']

const validate = new Ajv2020({ useDefaults: true, allErrors: false, strict: true }).compile(
  configSchema,
)

/** Deep-merges `overrides` into `base` (objects merge, everything else replaces). */
export function mergeConfig<T>(base: T, overrides: unknown): T {
  if (overrides === undefined) return base
  if (!isObject(base) || !isObject(overrides)) return overrides as T
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(overrides)) out[k] = mergeConfig(out[k], v)
  return out as T
}

/** Validates an already-parsed config object; `file` anchors relative paths. */
export function parseConfig(raw: unknown, file: string): LoadedConfig {
  const candidate = structuredClone(raw)
  if (!validate(candidate)) {
    const err = validate.errors![0]!
    const key = (err.instancePath || '/').slice(1).replaceAll('/', '.')
    const extra =
      err.keyword === 'additionalProperties'
        ? ` (unknown key ${String((err.params as { additionalProperty: string }).additionalProperty)})`
        : ''
    throw new ConfigError(key, `${err.message ?? 'is invalid'}${extra}`)
  }
  const config = candidate as unknown as Config
  const base = dirname(file)
  const openapi: Record<string, OpenApiDocument> = {}
  const openapiFiles: Record<string, string[]> = {}
  const routes: Record<string, RouteTable> = {}
  for (const name of Object.keys(config.identityProviders)) {
    try {
      readIdentityProviders(
        { [name]: config.identityProviders[name] },
        config.tokens.clockSkewSeconds,
      )
    } catch (e) {
      const message = (e as Error).message.replace(/^identity provider [^:]+: /, '')
      throw new ConfigError(`identityProviders.${name}`, message)
    }
  }
  const issuers = new Map<string, string>()
  for (const [name, p] of Object.entries(config.identityProviders)) {
    const other = issuers.get(p.issuer)
    if (other) throw new ConfigError(`identityProviders.${name}.issuer`, `also used by ${other}`)
    issuers.set(p.issuer, name)
  }
  for (const [host, upstream] of Object.entries(config.upstreams)) {
    if (RESERVED_HOST_NAMES.includes(host)) {
      throw new ConfigError(`upstreams.${host}`, `the name ${host} is reserved for the gateway`)
    }
    const docPath = resolve(base, upstream.openapi)
    let doc: OpenApiDocument
    try {
      // YAML or JSON, one file or several: `OpenApiError` names the file and the pointer.
      const loaded = loadOpenApi(docPath)
      doc = loaded.document
      openapiFiles[host] = loaded.files
    } catch (e) {
      throw documentError(`upstreams.${host}.openapi`, (e as Error).message, e, docPath)
    }
    try {
      routes[host] = compileRoutes(host, doc)
    } catch (e) {
      const message = `${shownPath(docPath)}: ${(e as Error).message}`
      throw documentError(`upstreams.${host}.openapi`, message, e, docPath)
    }
    openapi[host] = doc
  }
  const ports: Array<[string, number]> = [
    ...Object.entries(config.bus.ports).map(([k, p]): [string, number] => [`bus.ports.${k}`, p]),
    ...(config.bus.nodes === 3 ? clusterPortList(config.bus) : []),
    ['edge.port', config.edge.port],
    ['demo.port', config.demo.port],
  ]
  const seen = new Map<number, string>()
  for (const [key, p] of ports) {
    if (p > 65535) throw new ConfigError(key, `port ${p} (derived from bus.ports) is above 65535`)
    const other = seen.get(p)
    if (other) throw new ConfigError(key, `port ${p} is also used by ${other}`)
    seen.set(p, key)
  }
  // A clustered link keeps answering through a node's loss only with a relay on each side of it.
  const relayFloor = config.bus.nodes === 3 ? 2 : 1
  const replicas = config.replicas as Partial<Config['replicas']>
  if (replicas.relay === undefined) replicas.relay = relayFloor
  else if (replicas.relay < relayFloor) {
    throw new ConfigError(
      'replicas.relay',
      `bus.nodes: 3 needs at least ${relayFloor} relay replicas, given ${replicas.relay}`,
    )
  }
  config.paths.keys = resolve(base, config.paths.keys)
  config.paths.data = resolve(base, config.paths.data)
  const tls = config.link.tls
  if (tls) {
    tls.certFile = resolve(base, tls.certFile)
    tls.keyFile = resolve(base, tls.keyFile)
    if (tls.caFile !== undefined) tls.caFile = resolve(base, tls.caFile)
  }
  return { ...config, file, openapi, routes, openapiFiles }
}

type ClusterPorts = Required<NonNullable<Config['bus']['cluster']>>

/**
 * The ports of a clustered bus (`bus.nodes: 3`): per server, the client port of every node
 * (node 1's is `bus.ports`) and its route port; what `bus.cluster` leaves out is derived from
 * `bus.ports` (nodes 2 and 3 at +10 and +20, routes at +30, +40 and +50).
 */
export function clusterPortsOf(bus: Pick<Config['bus'], 'ports' | 'cluster'>): {
  nodePorts: Record<keyof BusPorts, number[]>
  routePorts: Record<keyof ClusterPorts['routePorts'], number[]>
} {
  const given = bus.cluster ?? {}
  const p = bus.ports
  const nodes = (k: keyof BusPorts) => [p[k], ...(given.nodePorts?.[k] ?? [p[k] + 10, p[k] + 20])]
  const routes = (k: keyof ClusterPorts['routePorts']) =>
    given.routePorts?.[k] ?? [p[k] + 30, p[k] + 40, p[k] + 50]
  return {
    nodePorts: {
      link: nodes('link'),
      linkWebsocket: nodes('linkWebsocket'),
      dreq: nodes('dreq'),
      creq: nodes('creq'),
      dresp: nodes('dresp'),
      cresp: nodes('cresp'),
    },
    routePorts: {
      link: routes('link'),
      dreq: routes('dreq'),
      creq: routes('creq'),
      dresp: routes('dresp'),
      cresp: routes('cresp'),
    },
  }
}

/** Every port of nodes 2 and 3 and every route port, named by its config key, for the clash check. */
function clusterPortList(bus: Config['bus']): Array<[string, number]> {
  const { nodePorts, routePorts } = clusterPortsOf(bus)
  return [
    ...Object.entries(nodePorts).flatMap(([k, ps]) =>
      ps.slice(1).map((p, i): [string, number] => [`bus.cluster.nodePorts.${k}[${i}]`, p]),
    ),
    ...Object.entries(routePorts).flatMap(([k, ps]) =>
      ps.map((p, i): [string, number] => [`bus.cluster.routePorts.${k}[${i}]`, p]),
    ),
  ]
}

export function loadConfig(file: string, overrides?: unknown): LoadedConfig {
  const path = resolve(file)
  let raw: unknown
  try {
    // `portcullis.config.yaml` or `.json`: one strict reader (a key given twice is refused).
    raw = readSource(path, readFileSync(path, 'utf8'))
  } catch (e) {
    // Read but not data: the file is invalid; not read at all: unreadable.
    if (e instanceof SourceError) throw new ConfigError('', e.message, { file: path, cause: e })
    throw new ConfigError('', `cannot read ${path}: ${(e as Error).message}`, {
      code: 'CONFIG_UNREADABLE',
      file: path,
      cause: e,
    })
  }
  return parseConfig(mergeConfig(raw, overrides), path)
}

/** The part of the config the edge worker receives. */
export function edgePolicyOf(config: LoadedConfig): EdgePolicy {
  return {
    version: 1,
    deployment: config.deployment,
    limits: {
      maxUrlBytes: config.edge.maxUrlBytes,
      maxBodyBytes: config.edge.maxBodyBytes,
      deadlineMs: config.edge.deadlineMs,
    },
    hosts: config.routes,
    tokens: {
      accessTtlSeconds: config.tokens.accessTtlSeconds,
      clockSkewSeconds: config.tokens.clockSkewSeconds,
      jwks: { ...config.tokens.jwks },
    },
    identityProviders: config.identityProviders,
    tokenEndpointRateLimit: { ...config.edge.tokenEndpointRateLimit },
  }
}
