/**
 * Stored text must not shut a route for everyone. What a client writes and the upstream stores
 * comes back in later answers, to every client; if it looked like a leak there, the response
 * validator would refuse every later answer. So text that will come back is judged at the
 * door, with the response validator's own leak scanner (lib/response/leaks.ts and its table),
 * and refused there with BODY_LEAK_SIGNATURE (400) before the upstream stores it:
 *
 * - every value a request schema marks `x-portcullis-user-data: true` (and everything below);
 * - every member whose name a declared JSON response of the same host also has (the answer
 *   echoes request fields: the same component schema, or the same property names), by
 *   default, without any mark.
 *
 * Each is read as the response side reads it (`name: value`, escapes undone, invisible
 * characters removed), with the operation's own allowances (`allowLeaks`,
 * `x-portcullis-allow-leaks`), so what would be refused on the way out is refused here.
 */
import {
  compileRoutes,
  DEFAULT_RESPONSE_VALIDATION,
  GatewayError,
  isObject,
  type OpenApiDocument,
  type ResponseValidationPolicy,
} from '../../../core/index.js'
import { isJsonMediaType } from '../media.js'
import { childSchemas, isSchemaObject } from '../schema-keywords.js'
import { deref } from '../schema-walk.js'
import { ScanText, type LeakScanner } from '../response/leaks.js'
import {
  eachUserData,
  reachesUserData,
  type ResolveRef,
  type SchemaNode,
} from '../response/prune.js'
import {
  RESPONSE_EXTENSIONS,
  readAllowLeaks,
  scannerCache,
  writtenResolver,
} from '../response/rules.js'

export interface UserDataCheck {
  /** The operation's JSON request schemas as written, as one root. */
  schema: SchemaNode
  /** Member names a declared JSON response of the host also has. */
  echoed: ReadonlySet<string>
  resolve: ResolveRef
  scanner: LeakScanner
}

/** Per host, per operation id: the check, for operations with a JSON request body. */
export type UserDataChecks = Record<string, Map<string, UserDataCheck>>

/** The JSON schemas under `content` (a request body's or a response's). */
function jsonSchemas(content: unknown): SchemaNode[] {
  if (!isObject(content)) return []
  const out: SchemaNode[] = []
  for (const [type, media] of Object.entries(content)) {
    if (!isJsonMediaType(type.toLowerCase().split(';')[0]!.trim()) || !isObject(media)) continue
    const schema = media.schema
    if (typeof schema === 'boolean' || isObject(schema)) out.push(schema)
  }
  return out
}

/** Every property name declared anywhere in `schemas`, through references. */
function propertyNames(schemas: readonly SchemaNode[], resolve: ResolveRef): Set<string> {
  const names = new Set<string>()
  const seen = new Set<unknown>()
  const stack: unknown[] = [...schemas]
  while (stack.length > 0) {
    const s = stack.pop()
    if (!isSchemaObject(s) || seen.has(s)) continue
    seen.add(s)
    if (isObject(s.properties)) for (const name of Object.keys(s.properties)) names.add(name)
    if (typeof s.$ref === 'string') stack.push(resolve(s.$ref))
    for (const child of childSchemas(s)) stack.push(child)
  }
  return names
}

type Operation = { where: string; operation: string; op: Record<string, unknown> }

function operationsOf(host: string, doc: OpenApiDocument): Operation[] {
  return compileRoutes(host, doc).routes.map((route) => ({
    where: `openapi ${host} ${route.method} ${route.template}`,
    operation: route.operation,
    op: doc.paths![route.template]![route.method.toLowerCase()] as Record<string, unknown>,
  }))
}

export function compileUserData(
  host: string,
  doc: OpenApiDocument,
  policy: ResponseValidationPolicy = DEFAULT_RESPONSE_VALIDATION,
  scanners: (allowed: string[]) => LeakScanner = scannerCache(),
): Map<string, UserDataCheck> {
  const resolve = writtenResolver(doc)
  const operations = operationsOf(host, doc)
  const answered: SchemaNode[] = []
  for (const { where, op } of operations) {
    if (!isObject(op.responses)) continue
    for (const [status, value] of Object.entries(op.responses)) {
      if (status.startsWith('x-')) continue
      answered.push(...jsonSchemas(deref(doc, value, `${where} ${status}`).content))
    }
  }
  const echoed = propertyNames(answered, resolve)
  const out = new Map<string, UserDataCheck>()
  for (const { where, operation, op } of operations) {
    if (op.requestBody === undefined) continue
    const schemas = jsonSchemas(deref(doc, op.requestBody, `${where} requestBody`).content)
    if (schemas.length === 0) continue
    const schema: SchemaNode = schemas.length === 1 ? schemas[0]! : { anyOf: schemas }
    const marked = reachesUserData(schema, resolve, `${where} requestBody`)
    if (!marked && echoed.size === 0) continue
    out.set(operation, {
      schema,
      echoed,
      resolve,
      // The operation's own allowances, as the response validator reads them.
      scanner: scanners([
        ...policy.allowLeaks,
        ...(op[RESPONSE_EXTENSIONS.allowLeaks] === undefined
          ? []
          : readAllowLeaks(op[RESPONSE_EXTENSIONS.allowLeaks], where)),
      ]),
    })
  }
  return out
}

export function compileUserDataFor(
  docs: Record<string, OpenApiDocument>,
  policy: ResponseValidationPolicy = DEFAULT_RESPONSE_VALIDATION,
): UserDataChecks {
  const out: UserDataChecks = {}
  const scanners = scannerCache()
  for (const [host, doc] of Object.entries(docs)) {
    out[host] = compileUserData(host, doc, policy, scanners)
  }
  return out
}

/**
 * Scans the user data of a parsed JSON request body; throws BODY_LEAK_SIGNATURE naming the
 * signature and the JSON pointer (the client's own field), never the text.
 */
export function checkUserData(check: UserDataCheck, body: unknown): void {
  const text = new ScanText('body')
  eachUserData(body, check.schema, check.resolve, check.echoed, (value, pointer, member) => {
    if (member === undefined) text.addJson(value, pointer)
    else text.addJson({ [member]: value }, pointer)
  })
  const found = check.scanner.find(text)
  if (found) {
    const detail = `${found.signature} in ${found.where}`
    throw new GatewayError('BODY_LEAK_SIGNATURE', { detail, reason: detail })
  }
}
