/**
 * The response rules of each operation, compiled once at start from the config's
 * `validation.response` section and the operation's own OpenAPI extensions:
 *
 * - `x-portcullis-undeclared-fields`: `refuse` | `drop` (default: the config's).
 * - `x-portcullis-allow-leaks`: leak families or signature ids this route may send (a login
 *   route answering with its token, say), on top of the config's `allowLeaks`.
 * - `x-portcullis-user-data: true` on a schema of a response: the text there is a client's
 *   own (checked on the way in), not a leak; the schema is kept for the leak scan to mask it.
 *
 * A value that is not one of these stops the start, naming the operation. Also here: what
 * the pruning walk needs to follow `$ref`, the components as the schema walk converted them.
 */
import {
  compileRoutes,
  DEFAULT_RESPONSE_VALIDATION,
  EXTENSIONS,
  isObject,
  SetupError,
  UNDECLARED_FIELDS_POLICIES,
  type CookieSameSite,
  type OpenApiDocument,
  type ResponseValidationPolicy,
  type UndeclaredFieldsPolicy,
} from '../../../core/index.js'
import { isJsonMediaType } from '../media.js'
import { componentsIdOf, mentionsFlag } from '../read-write-only.js'
import {
  deref,
  resolvePointer,
  SchemaError,
  toJsonSchema,
  type WalkOptions,
} from '../schema-walk.js'
import { createLeakScanner, isLeakKind, type LeakScanner } from './leaks.js'
import { reachesUserData, type ResolveRef, type SchemaNode } from './prune.js'

export const RESPONSE_EXTENSIONS = {
  undeclaredFields: EXTENSIONS.undeclaredFields,
  allowLeaks: EXTENSIONS.allowLeaks,
} as const

export interface ResponseOperationRules {
  undeclaredFields: UndeclaredFieldsPolicy
  /** Leak kinds this route may send, beyond the config's (as written, for the log). */
  allowLeaks: string[]
  /** Scans bodies and headers. */
  scanner: LeakScanner
  /**
   * Scans `Set-Cookie` values: the same, except that tokens are what a session cookie
   * carries, and the cookie is forced `HttpOnly` and `Secure`.
   */
  cookieScanner: LeakScanner
  /**
   * Per declared status key (`200`, `2XX`, `DEFAULT`) and media type: the response schema as
   * written, when it marks user data (`x-portcullis-user-data`); resolved by the host's
   * `resolveWritten`.
   */
  userData: Map<string, Map<string, SchemaNode>>
}

export interface ResponseHostRules {
  operations: Map<string, ResponseOperationRules>
  resolve: ResolveRef
  /** Resolves the document's own references (`#/components/schemas/X`) to schemas as written. */
  resolveWritten: ResolveRef
  cookieSameSite: CookieSameSite
  maxJsonDepth: number
}

/** Scanners are shared by every operation with the same allow list. */
export function scannerCache(): (allowed: string[]) => LeakScanner {
  const cache = new Map<string, LeakScanner>()
  return (allowed) => {
    const key = [...new Set(allowed)].sort().join(',')
    let scanner = cache.get(key)
    if (!scanner) {
      scanner = createLeakScanner(allowed)
      cache.set(key, scanner)
    }
    return scanner
  }
}

function readUndeclared(value: unknown, where: string): UndeclaredFieldsPolicy {
  if ((UNDECLARED_FIELDS_POLICIES as readonly unknown[]).includes(value)) {
    return value as UndeclaredFieldsPolicy
  }
  throw new SchemaError(
    where,
    `${RESPONSE_EXTENSIONS.undeclaredFields} must be one of ${UNDECLARED_FIELDS_POLICIES.join(', ')}`,
    'POLICY_INVALID',
  )
}

export function readAllowLeaks(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && isLeakKind(v))) {
    throw new SchemaError(
      where,
      `${RESPONSE_EXTENSIONS.allowLeaks} must list leak families or signature ids`,
      'POLICY_INVALID',
    )
  }
  return value as string[]
}

export function compileResponseRules(
  host: string,
  doc: OpenApiDocument,
  policy: ResponseValidationPolicy = DEFAULT_RESPONSE_VALIDATION,
  scanners: (allowed: string[]) => LeakScanner = scannerCache(),
): ResponseHostRules {
  for (const name of policy.allowLeaks) {
    if (!isLeakKind(name)) {
      const key = 'validation.response.allowLeaks'
      throw new SetupError('CONFIG_INVALID', `${key}: unknown leak signature ${name}`, { key })
    }
  }
  const operations = new Map<string, ResponseOperationRules>()
  const resolveWritten = writtenResolver(doc)
  for (const route of compileRoutes(host, doc).routes) {
    const where = `openapi ${host} ${route.method} ${route.template}`
    const op = doc.paths![route.template]![route.method.toLowerCase()] as Record<string, unknown>
    const undeclaredFields =
      op[RESPONSE_EXTENSIONS.undeclaredFields] === undefined
        ? policy.undeclaredFields
        : readUndeclared(op[RESPONSE_EXTENSIONS.undeclaredFields], where)
    const allowLeaks =
      op[RESPONSE_EXTENSIONS.allowLeaks] === undefined
        ? []
        : readAllowLeaks(op[RESPONSE_EXTENSIONS.allowLeaks], where)
    const allowed = [...policy.allowLeaks, ...allowLeaks]
    operations.set(route.operation, {
      undeclaredFields,
      allowLeaks,
      scanner: scanners(allowed),
      cookieScanner: scanners([...allowed, 'token']),
      userData: userDataSchemas(doc, op, resolveWritten, where),
    })
  }
  return {
    operations,
    resolve: componentsResolver(host, doc),
    resolveWritten,
    cookieSameSite: policy.cookieSameSite,
    maxJsonDepth: policy.maxJsonDepth,
  }
}

export function compileResponseRulesFor(
  docs: Record<string, OpenApiDocument>,
  policy: ResponseValidationPolicy = DEFAULT_RESPONSE_VALIDATION,
): Record<string, ResponseHostRules> {
  const scanners = scannerCache()
  const out: Record<string, ResponseHostRules> = {}
  for (const [host, doc] of Object.entries(docs)) {
    out[host] = compileResponseRules(host, doc, policy, scanners)
  }
  return out
}

/**
 * Resolves the references the schema walk writes (`urn:portcullis:<host>:components#/$defs/X`,
 * and `urn:portcullis:<host>:components:response#/...` where the components flag `writeOnly`
 * properties) against the components, converted the same way. Anything else does not
 * resolve: the walk refuses other references at start.
 */
function componentsResolver(host: string, doc: OpenApiDocument): ResolveRef {
  const schemas = isObject(doc.components?.schemas) ? doc.components.schemas : {}
  const openapi30 = doc.openapi.startsWith('3.0.')
  const views: { prefix: string; defs: { $defs: Record<string, SchemaNode> } }[] = []
  const addView = (componentsId: string, view?: WalkOptions['view']): void => {
    const defs = toJsonSchema(
      { $defs: schemas },
      { componentsId, openapi30, where: 'components', ...(view ? { view } : {}) },
    ) as { $defs: Record<string, SchemaNode> }
    views.push({ prefix: `${componentsId}#/`, defs })
  }
  addView(componentsIdOf(host))
  if (mentionsFlag(schemas, 'response')) {
    addView(componentsIdOf(host, 'response'), { direction: 'response', components: schemas })
  }
  const resolved = new Map<string, SchemaNode | undefined>()
  const lookup = (ref: string): SchemaNode | undefined => {
    const at = views.find((v) => ref.startsWith(v.prefix))
    if (!at) return undefined
    let node: unknown = at.defs
    for (const raw of ref.slice(at.prefix.length).split('/')) {
      let part: string
      try {
        part = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
      } catch {
        return undefined
      }
      if (!isObject(node) && !Array.isArray(node)) return undefined
      if (!Object.hasOwn(node, part)) return undefined
      node = (node as Record<string, unknown>)[part]
    }
    return typeof node === 'boolean' || isObject(node) ? node : undefined
  }
  return (ref) => {
    // The references are the operator's, a few per document: remembered without a bound.
    if (!resolved.has(ref)) resolved.set(ref, lookup(ref))
    return resolved.get(ref)
  }
}

/** The document's own references, to the schemas as written (marks and all). */
export function writtenResolver(doc: OpenApiDocument): ResolveRef {
  return (ref) => {
    try {
      const node = resolvePointer(doc, ref, 'reference')
      return typeof node === 'boolean' || isObject(node) ? node : undefined
    } catch {
      return undefined
    }
  }
}

function userDataSchemas(
  doc: OpenApiDocument,
  op: Record<string, unknown>,
  resolve: ResolveRef,
  where: string,
): Map<string, Map<string, SchemaNode>> {
  // Every declared status gets its entry (empty when unmarked), so that a status is looked up
  // as `responseContent` does: an unmarked `200` is not covered by a marked `default`.
  const out = new Map<string, Map<string, SchemaNode>>()
  let marked = false
  if (!isObject(op.responses)) return out
  for (const [status, value] of Object.entries(op.responses)) {
    if (status.startsWith('x-')) continue
    const byMedia = new Map<string, SchemaNode>()
    out.set(status.toUpperCase(), byMedia)
    const content = deref(doc, value, `${where} ${status}`).content
    if (!isObject(content)) continue
    for (const [type, media] of Object.entries(content)) {
      const key = type.toLowerCase()
      if (!isJsonMediaType(key.split(';')[0]!.trim()) || !isObject(media)) continue
      const schema = media.schema
      if (typeof schema !== 'boolean' && !isObject(schema)) continue
      if (!reachesUserData(schema, resolve, `${where} response ${status} ${key}`)) continue
      byMedia.set(key, schema)
      marked = true
    }
  }
  return marked ? out : new Map()
}

/** The marked schema for a status and the declared media key, looked up as the status is. */
export function userDataSchemaFor(
  rules: ResponseOperationRules,
  status: number,
  mediaKey: string,
): SchemaNode | undefined {
  if (rules.userData.size === 0) return undefined
  const byMedia =
    rules.userData.get(String(status)) ??
    rules.userData.get(`${Math.floor(status / 100)}XX`) ??
    rules.userData.get('DEFAULT')
  return byMedia?.get(mediaKey)
}
