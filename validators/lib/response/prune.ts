/**
 * Undeclared fields: which object members of a response body does its schema not declare?
 * An explicit walk of the body beside its (already compiled, plain JSON Schema) schema,
 * rather than ajv's `removeAdditional`: that option only removes members where
 * `additionalProperties` is `false`, so an open schema would pass undeclared members on, and
 * it removes while it validates, so a failing `anyOf`/`oneOf` branch can strip members the
 * matching branch needed (ajv's documentation warns of both).
 *
 * A member is declared when any schema that applies at its place names it in `properties`,
 * matches it by `patternProperties`, or admits it by an `additionalProperties` or
 * `unevaluatedProperties` that is a schema (a map). Subschemas are followed through `$ref`,
 * `allOf`, `anyOf`, `oneOf`, `if`/`then`/`else` and `dependentSchemas`, and taken together:
 * a member any branch declares is kept, and the kept body is then validated against the
 * schema as a whole, so the union is never looser than the schema. An object whose schemas
 * say nothing about members (`{}`, `{"type": "object"}`) is free-form: kept as it is.
 *
 * A `writeOnly` property (compiled in the response view as the forbidden-member keyword,
 * read-write-only.ts) declares nothing: its member is undeclared whatever else would admit
 * it (`additionalProperties`), and is also listed as write-only so the verdict can say so.
 */

import { EXTENSIONS, isObject } from '../../../core/index.js'
import { isForbiddenMember } from '../read-write-only.js'
import { childSchemas } from '../schema-keywords.js'
import { SchemaError } from '../schema-walk.js'

export type SchemaNode = boolean | Record<string, unknown>

/**
 * `x-portcullis-user-data: true` on a schema: the value there, and everything below it, is
 * text a client wrote (validators/README.md, "Stored text"). Read from the OpenAPI document's
 * own schemas: the JSON Schema ajv compiles has every `x-*` key removed.
 */
export const USER_DATA_EXTENSION = EXTENSIONS.userData

/** Resolves a `$ref` (already made absolute by the schema walk) to its schema. */
export type ResolveRef = (ref: string) => SchemaNode | undefined

export interface PruneResult {
  /** The body without undeclared members (the input itself when nothing was dropped). */
  value: unknown
  /** JSON pointers of the members dropped, in document order. */
  dropped: string[]
  /** Those of `dropped` that their schema declares `writeOnly`. */
  writeOnly: string[]
}

const MEMBER_KEYWORDS = [
  'properties',
  'patternProperties',
  'additionalProperties',
  'unevaluatedProperties',
] as const

const patterns = new Map<string, RegExp>()
function pattern(source: string): RegExp {
  let re = patterns.get(source)
  if (!re) {
    // The same flags ajv gives `patternProperties`; the patterns are the operator's own.
    re = new RegExp(source, 'u')
    patterns.set(source, re)
  }
  return re
}

/** Every object schema that applies at one place, through references and combinators. */
function expand(schemas: readonly SchemaNode[], value: unknown, resolve: ResolveRef): SchemaNode[] {
  const out: SchemaNode[] = []
  const seen = new Set<SchemaNode>()
  const visit = (s: SchemaNode | undefined): void => {
    if (s === undefined || seen.has(s)) return
    seen.add(s)
    out.push(s)
    if (typeof s === 'boolean') return
    if (typeof s.$ref === 'string') visit(resolve(s.$ref))
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
      const list = s[key]
      if (Array.isArray(list)) for (const sub of list) visit(sub as SchemaNode)
    }
    for (const key of ['if', 'then', 'else'] as const) {
      if (s[key] !== undefined) visit(s[key] as SchemaNode)
    }
    if (isObject(s.dependentSchemas) && isObject(value)) {
      for (const [name, sub] of Object.entries(s.dependentSchemas)) {
        if (Object.hasOwn(value, name)) visit(sub as SchemaNode)
      }
    }
  }
  for (const s of schemas) visit(s)
  return out
}

/** The schemas that declare `key`, or an empty list when none does. */
function declaring(key: string, schemas: readonly SchemaNode[]): SchemaNode[] {
  const out: SchemaNode[] = []
  if (writeOnlyHere(key, schemas)) return out
  for (const s of schemas) {
    if (typeof s === 'boolean') continue
    let named = false
    if (isObject(s.properties) && Object.hasOwn(s.properties, key)) {
      out.push(s.properties[key] as SchemaNode)
      named = true
    }
    if (isObject(s.patternProperties)) {
      for (const [source, sub] of Object.entries(s.patternProperties)) {
        if (pattern(source).test(key)) {
          out.push(sub as SchemaNode)
          named = true
        }
      }
    }
    if (named) continue
    for (const keyword of ['additionalProperties', 'unevaluatedProperties'] as const) {
      const sub = s[keyword]
      if (sub !== undefined && sub !== false) out.push(sub as SchemaNode)
    }
  }
  return out
}

function declaresMembers(schemas: readonly SchemaNode[]): boolean {
  return schemas.some((s) => isObject(s) && MEMBER_KEYWORDS.some((k) => s[k] !== undefined))
}

function prefixLength(schemas: readonly SchemaNode[]): number {
  let n = 0
  for (const s of schemas) {
    if (isObject(s) && Array.isArray(s.prefixItems)) n = Math.max(n, s.prefixItems.length)
  }
  return n
}

/** The schemas for array element `index`. */
function itemSchemas(index: number, schemas: readonly SchemaNode[]): SchemaNode[] {
  const out: SchemaNode[] = []
  for (const s of schemas) {
    if (typeof s === 'boolean') continue
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as SchemaNode[]) : []
    if (index < prefix.length) out.push(prefix[index]!)
    else if (s.items !== undefined && s.items !== false) out.push(s.items as SchemaNode)
    if (s.contains !== undefined) out.push(s.contains as SchemaNode)
    if (s.unevaluatedItems !== undefined && s.unevaluatedItems !== false) {
      out.push(s.unevaluatedItems as SchemaNode)
    }
  }
  return out
}

/**
 * One place in the schema: the schemas that apply there, expanded once, and the places of
 * its members and elements as they are met. Kept per root schema across bodies, so a list of
 * ten thousand orders expands the order schema once. A place under `dependentSchemas`
 * depends on the value and is expanded again for each one.
 */
interface Place {
  schemas: readonly SchemaNode[]
  applied: SchemaNode[]
  dynamic: boolean
  /** Whether the applied schemas say anything about members (else the object is free-form). */
  declares: boolean
  /** Whether an applied schema marks the value here as user data. */
  userData: boolean
  members: Map<string, Place | null>
  /** By element index below the longest `prefixItems`; -1 for every element after. */
  items: Map<number, Place>
  prefix: number
}

/** Member names remembered per place; a map with more distinct keys is not cached further. */
const MAX_REMEMBERED = 256

function place(schemas: readonly SchemaNode[], resolve: ResolveRef): Place {
  const applied = expand(schemas, undefined, resolve)
  return {
    schemas,
    applied,
    dynamic: applied.some((s) => isObject(s) && s.dependentSchemas !== undefined),
    declares: declaresMembers(applied),
    userData: applied.some((s) => isObject(s) && s[USER_DATA_EXTENSION] === true),
    members: new Map(),
    items: new Map(),
    prefix: prefixLength(applied),
  }
}

function memberPlace(at: Place, applied: SchemaNode[], key: string, resolve: ResolveRef) {
  if (!at.dynamic) {
    const known = at.members.get(key)
    if (known !== undefined) return known
  }
  const subs = declaring(key, applied)
  const child = subs.length === 0 ? null : place(subs, resolve)
  if (!at.dynamic && at.members.size < MAX_REMEMBERED) at.members.set(key, child)
  return child
}

function itemPlace(at: Place, applied: SchemaNode[], index: number, resolve: ResolveRef): Place {
  const slot = index < at.prefix ? index : -1
  if (!at.dynamic) {
    const known = at.items.get(slot)
    if (known) return known
  }
  const child = place(itemSchemas(index, applied), resolve)
  if (!at.dynamic) at.items.set(slot, child)
  return child
}

function pointer(path: string, key: string): string {
  return `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
}

/** Whether one of the schemas applied at a place declares `key` write-only. */
function writeOnlyHere(key: string, applied: readonly SchemaNode[]): boolean {
  return applied.some(
    (s) =>
      isObject(s) &&
      isObject(s.properties) &&
      Object.hasOwn(s.properties, key) &&
      isForbiddenMember(s.properties[key]),
  )
}

function walk(
  value: unknown,
  at: Place,
  path: string,
  resolve: ResolveRef,
  dropped: Omit<PruneResult, 'value'>,
): unknown {
  if (typeof value !== 'object' || value === null) return value
  const applied = at.dynamic ? expand(at.schemas, value, resolve) : at.applied
  if (Array.isArray(value)) {
    let changed = false
    const out: unknown[] = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      out[i] =
        typeof item === 'object' && item !== null
          ? walk(item, itemPlace(at, applied, i, resolve), `${path}/${i}`, resolve, dropped)
          : item
      if (out[i] !== item) changed = true
    }
    return changed ? out : value
  }
  if (!(at.dynamic ? declaresMembers(applied) : at.declares)) return value
  // No prototype: a member called `__proto__` stays a member.
  const out: Record<string, unknown> = Object.create(null)
  let changed = false
  for (const [key, member] of Object.entries(value)) {
    const child = memberPlace(at, applied, key, resolve)
    if (child === null) {
      dropped.dropped.push(pointer(path, key))
      if (writeOnlyHere(key, applied)) dropped.writeOnly.push(pointer(path, key))
      changed = true
      continue
    }
    const next =
      typeof member === 'object' && member !== null
        ? walk(member, child, pointer(path, key), resolve, dropped)
        : member
    if (next !== member) changed = true
    out[key] = next
  }
  return changed ? out : value
}

const roots = new WeakMap<ResolveRef, WeakMap<object, Place>>()

function rootPlace(schema: SchemaNode, resolve: ResolveRef): Place {
  if (typeof schema === 'boolean') return place([schema], resolve)
  let byResolver = roots.get(resolve)
  if (!byResolver) {
    byResolver = new WeakMap()
    roots.set(resolve, byResolver)
  }
  let root = byResolver.get(schema)
  if (!root) {
    root = place([schema], resolve)
    byResolver.set(schema, root)
  }
  return root
}

/**
 * The body without the members its schema does not declare. Pure: `value` is not changed.
 * The schema must not change after its first use (its expansion is kept).
 */
export function pruneUndeclared(
  value: unknown,
  schema: SchemaNode,
  resolve: ResolveRef,
): PruneResult {
  const dropped = { dropped: [] as string[], writeOnly: [] as string[] }
  const pruned = walk(value, rootPlace(schema, resolve), '', resolve, dropped)
  return { value: pruned, ...dropped }
}

/**
 * Whether `schema` (an OpenAPI schema as written, its `$ref`s resolved by `resolve`) marks
 * anything as user data. Throws a SchemaError naming `where` on a mark that is not a boolean.
 */
export function reachesUserData(schema: unknown, resolve: ResolveRef, where: string): boolean {
  const seen = new Set<unknown>()
  let found = false
  const stack: unknown[] = [schema]
  while (stack.length > 0) {
    const s = stack.pop()
    if (!isObject(s) || seen.has(s)) continue
    seen.add(s)
    const mark = s[USER_DATA_EXTENSION]
    if (mark !== undefined && typeof mark !== 'boolean') {
      throw new SchemaError(where, `${USER_DATA_EXTENSION} must be true or false`, 'POLICY_INVALID')
    }
    if (mark === true) found = true
    if (typeof s.$ref === 'string') stack.push(resolve(s.$ref))
    for (const child of childSchemas(s)) stack.push(child)
  }
  return found
}

/**
 * The body with every user-data value (a place its schema marks, and all below it) replaced by
 * `null`: what the leak scan reads when the client's own text must not count as a leak. The
 * input itself when nothing is marked; otherwise only the objects and arrays on the way to a
 * mark are copied.
 */
export function maskUserData(value: unknown, schema: SchemaNode, resolve: ResolveRef): unknown {
  const root = rootPlace(schema, resolve)
  return root.userData ? null : mask(value, root, resolve)
}

function mask(value: unknown, at: Place, resolve: ResolveRef): unknown {
  if (typeof value !== 'object' || value === null) return value
  const applied = at.dynamic ? expand(at.schemas, value, resolve) : at.applied
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      const child = itemPlace(at, applied, i, resolve)
      const next = child.userData ? null : mask(item, child, resolve)
      if (next !== item) (out ??= value.slice())[i] = next
    }
    return out ?? value
  }
  let out: Record<string, unknown> | undefined
  for (const [key, member] of Object.entries(value)) {
    const child = memberPlace(at, applied, key, resolve)
    if (child === null) continue
    const next = child.userData ? null : mask(member, child, resolve)
    if (next !== member) {
      // Spread defines own members, so a member called `__proto__` stays a member; the
      // assignment below then replaces it as a member too.
      out ??= { ...(value as Record<string, unknown>) }
      Object.defineProperty(out, key, { value: next, enumerable: true, writable: true })
    }
  }
  return out ?? value
}

/**
 * Visits the values of a body that its schema marks as user data, or that sit under a member
 * whose name is in `names`, without descending below them: `member` is the member's name when
 * the value is an object member (the scan then reads it as `name: value`, as the response side
 * does), `pointer` the value's JSON pointer.
 */
export function eachUserData(
  value: unknown,
  schema: SchemaNode,
  resolve: ResolveRef,
  names: ReadonlySet<string>,
  visit: (value: unknown, pointer: string, member?: string) => void,
): void {
  const root = rootPlace(schema, resolve)
  if (root.userData) visit(value, '')
  else visitMarked(value, root, '', resolve, names, visit)
}

function visitMarked(
  value: unknown,
  at: Place | null,
  path: string,
  resolve: ResolveRef,
  names: ReadonlySet<string>,
  visit: (value: unknown, pointer: string, member?: string) => void,
): void {
  if (typeof value !== 'object' || value === null) return
  const applied = at && (at.dynamic ? expand(at.schemas, value, resolve) : at.applied)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child = at && itemPlace(at, applied!, i, resolve)
      if (child?.userData) visit(value[i], `${path}/${i}`)
      else visitMarked(value[i], child, `${path}/${i}`, resolve, names, visit)
    }
    return
  }
  for (const [key, member] of Object.entries(value)) {
    const child = at && memberPlace(at, applied!, key, resolve)
    if (names.has(key) || child?.userData) visit(member, path, key)
    else visitMarked(member, child, pointer(path, key), resolve, names, visit)
  }
}
