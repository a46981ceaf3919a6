/**
 * What the request validator checks per operation beyond the body schema, compiled once at
 * start from the OpenAPI document and the `validation` policy: the declared parameters, the
 * header allow-list, the JSON rules, and the injection scanner when the route asks for one.
 */
import {
  DEFAULT_SCAN_POLICY,
  isObject,
  type OpenApiDocument,
  type RequestValidationPolicy,
} from '../../../core/index.js'
import { compileHost, type HostSchemas } from '../schemas.js'
import { SchemaError } from '../schema-walk.js'
import { readAllowUnknownQuery, readJsonLimits, readParanoia, readScan } from './extensions.js'
import { DEFAULT_ALLOWED_HEADERS, headerAllowList, type HeaderAllowList } from './headers.js'
import { injectionScanner, type InjectionClass, type InjectionScanner } from './injection.js'
import type { JsonRules } from './json-limits.js'
import { compileParameter, declaredParameters, type CompiledParameter } from './parameters.js'
import { createSchemaCompiler } from '../schema-compiler.js'

export interface RequestRules {
  operation: string
  /** By the template's parameter name. */
  path: Map<string, CompiledParameter>
  query: Map<string, CompiledParameter>
  /** By lowercase header name. */
  headers: Map<string, CompiledParameter>
  allowUnknownQuery: boolean
  allowedHeaders: HeaderAllowList
  json: JsonRules
  scan: ReadonlySet<InjectionClass>
  /** Present when `scan` is not empty. */
  scanner?: InjectionScanner
}

/** A host's route table and schemas (lib/schemas.ts) with its request rules per operation. */
export interface RequestHost extends HostSchemas {
  rules: Map<string, RequestRules>
}

export function compileRequestHost(
  host: string,
  doc: OpenApiDocument,
  policy: RequestValidationPolicy,
): RequestHost {
  const schemas = compileHost(host, doc)
  const compile = createSchemaCompiler(host, doc)
  const forbiddenKeys = new Set(policy.json.forbiddenKeys)
  const rules = new Map<string, RequestRules>()
  for (const route of schemas.routes.routes) {
    const where = `openapi ${host} ${route.method} ${route.template}`
    const pathItem = doc.paths![route.template]!
    const op = pathItem[route.method.toLowerCase()]
    if (!isObject(op))
      throw new SchemaError(where, 'the operation must be an object', 'OPENAPI_INVALID')
    const path = new Map<string, CompiledParameter>()
    const query = new Map<string, CompiledParameter>()
    const headers = new Map<string, CompiledParameter>()
    let cookies = false
    for (const raw of declaredParameters(doc, pathItem, op, where)) {
      const p = compileParameter(doc, raw, compile, where)
      if (!p) continue
      if (p.in === 'path') path.set(p.name, p)
      else if (p.in === 'query') query.set(p.name, p)
      else if (p.in === 'header') headers.set(p.name, p)
      else cookies = true
    }
    const templateParams = route.segments.flatMap((s) => ('param' in s ? [s.param] : []))
    for (const name of templateParams) {
      if (!path.has(name))
        throw new SchemaError(where, `path parameter ${name} is not declared`, 'OPENAPI_INVALID')
    }
    for (const name of path.keys()) {
      if (!templateParams.includes(name)) {
        throw new SchemaError(
          where,
          `path parameter ${name} is not in the template`,
          'OPENAPI_INVALID',
        )
      }
    }
    const scan = readScan(op, where)
    const scanPolicy = policy.scan ?? DEFAULT_SCAN_POLICY
    const paranoia = readParanoia(op, scanPolicy.paranoia, where)
    const allowed = [...DEFAULT_ALLOWED_HEADERS, ...policy.headers.allow, ...headers.keys()]
    if (cookies) allowed.push('cookie')
    rules.set(route.operation, {
      operation: route.operation,
      path,
      query,
      headers,
      allowUnknownQuery: readAllowUnknownQuery(op, where),
      allowedHeaders: headerAllowList(allowed),
      json: {
        ...readJsonLimits(op, policy.json, where),
        forbiddenKeys,
        integerSpelling: policy.json.integerSpelling,
      },
      scan,
      ...(scan.size > 0 ? { scanner: injectionScanner(scan, paranoia, scanPolicy) } : {}),
    })
  }
  return { ...schemas, rules }
}

export function compileRequestHosts(
  docs: Record<string, OpenApiDocument>,
  policy: RequestValidationPolicy,
): Record<string, RequestHost> {
  const out: Record<string, RequestHost> = {}
  for (const [host, doc] of Object.entries(docs)) out[host] = compileRequestHost(host, doc, policy)
  return out
}
