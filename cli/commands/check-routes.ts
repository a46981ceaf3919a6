/**
 * What the gateway enforces on each route of a loaded config, as plain data for
 * `portcullis check`: from the compiled route tables (`config.routes`) and, for what only the
 * validators read, from the operations through the validators' own readers. Nothing here
 * reads an extension by its name.
 */
import type { LoadedConfig } from '../../config/index.js'
import {
  DEFAULT_SCAN_POLICY,
  isJsonMediaType,
  isPortOpen,
  matchMediaType,
  parseMediaType,
  type CompiledRoute,
  type JsonLimits,
  type QuotaKey,
  type UndeclaredFieldsPolicy,
} from '../../core/index.js'
import {
  compileResponseRules,
  readAllowUnknownQuery,
  readJsonLimits,
  readParanoia,
  readScan,
  type ResponseHostRules,
} from '../../validators/lib/index.js'

export interface RouteEnforcement {
  operation: string
  method: string
  path: string
  ports: number[]
  /** The route's ports the deployment does not open (404 PORT_BLOCKED). */
  closedPorts: number[]
  requiredClaims: string | null
  rateLimit: {
    limit: number
    period: number
    quota: { limit: number; period: number; key: string } | null
  } | null
  scan: { classes: string[]; paranoia: number } | null
  allowUnknownQuery: boolean
  /** Null when the route takes no body (any body is 415). */
  body: {
    mediaTypes: string[]
    required: boolean
    maxBytes: number
    maxBytesFrom: 'route' | 'edge.maxBodyBytes'
  } | null
  /** Null when the route takes no JSON body. `overridden`: the limits the route sets itself. */
  json: (JsonLimits & { overridden: Array<keyof JsonLimits> }) | null
  undeclaredFields: UndeclaredFieldsPolicy
}

export interface HostEnforcement {
  host: string
  baseUrl: string
  /** As written in the config. */
  openapi: string
  routes: RouteEnforcement[]
}

export interface EnforcementDefaults {
  maxBodyBytes: number
  json: JsonLimits
  paranoia: number
  undeclaredFields: UndeclaredFieldsPolicy
}

export const JSON_LIMIT_KEYS: ReadonlyArray<keyof JsonLimits> = [
  'maxDepth',
  'maxStringLength',
  'maxArrayLength',
  'maxObjectKeys',
]

export function enforcementDefaults(config: LoadedConfig): EnforcementDefaults {
  const { json, scan, response } = config.validation
  return {
    maxBodyBytes: config.edge.maxBodyBytes,
    json: jsonLimitsOf(json),
    paranoia: (scan ?? DEFAULT_SCAN_POLICY).paranoia,
    undeclaredFields: response.undeclaredFields,
  }
}

function jsonLimitsOf(limits: JsonLimits): JsonLimits {
  return {
    maxDepth: limits.maxDepth,
    maxStringLength: limits.maxStringLength,
    maxArrayLength: limits.maxArrayLength,
    maxObjectKeys: limits.maxObjectKeys,
  }
}

function quotaKeyOf(key: QuotaKey | undefined): string {
  return key?.kind === 'claim' ? `claim:${key.path.join('.')}` : 'subject'
}

/** Whether a JSON body can reach the route: a JSON key, or a range covering JSON. */
function takesJson(mediaTypes: readonly string[]): boolean {
  return (
    matchMediaType(mediaTypes, 'application/json') !== undefined ||
    mediaTypes.some((k) => isJsonMediaType(parseMediaType(k)?.essence ?? ''))
  )
}

function routeEnforcement(
  config: LoadedConfig,
  host: string,
  route: CompiledRoute,
  response: ResponseHostRules,
  defaults: EnforcementDefaults,
): RouteEnforcement {
  const where = `openapi ${host} ${route.method} ${route.template}`
  const op = config.openapi[host]!.paths![route.template]![route.method.toLowerCase()] as Record<
    string,
    unknown
  >
  const scan = readScan(op, where)
  const paranoia = readParanoia(op, defaults.paranoia, where)
  const limits = readJsonLimits(op, defaults.json, where)
  const { rateLimit } = route
  const takesBody = route.mediaTypes.length > 0
  return {
    operation: route.operation,
    method: route.method,
    path: route.template,
    ports: [...route.ports],
    closedPorts: route.ports.filter((p) => !isPortOpen(p, config.deployment)),
    requiredClaims: route.requiredClaims ?? null,
    rateLimit: rateLimit
      ? {
          limit: rateLimit.limit,
          period: rateLimit.period,
          quota: rateLimit.quota
            ? {
                limit: rateLimit.quota.limit,
                period: rateLimit.quota.period,
                key: quotaKeyOf(rateLimit.quota.key),
              }
            : null,
        }
      : null,
    scan: scan.size > 0 ? { classes: [...scan], paranoia } : null,
    allowUnknownQuery: readAllowUnknownQuery(op, where),
    body: takesBody
      ? {
          mediaTypes: [...route.mediaTypes],
          required: route.bodyRequired,
          maxBytes: route.maxBodyBytes ?? defaults.maxBodyBytes,
          maxBytesFrom: route.maxBodyBytes === undefined ? 'edge.maxBodyBytes' : 'route',
        }
      : null,
    json:
      takesBody && takesJson(route.mediaTypes)
        ? {
            ...limits,
            overridden: JSON_LIMIT_KEYS.filter((k) => limits[k] !== defaults.json[k]),
          }
        : null,
    undeclaredFields:
      response.operations.get(route.operation)?.undeclaredFields ?? defaults.undeclaredFields,
  }
}

/** A host's routes in the route table's order (the order the gateway matches them in). */
export function hostEnforcement(
  config: LoadedConfig,
  host: string,
  defaults: EnforcementDefaults = enforcementDefaults(config),
): HostEnforcement {
  const response = compileResponseRules(host, config.openapi[host]!, config.validation.response)
  const upstream = config.upstreams[host]!
  return {
    host,
    baseUrl: upstream.baseUrl,
    openapi: upstream.openapi,
    routes: config.routes[host]!.routes.map((r) =>
      routeEnforcement(config, host, r, response, defaults),
    ),
  }
}
