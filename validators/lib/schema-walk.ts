/**
 * Turns an OpenAPI schema object into a plain JSON Schema ajv can compile: `x-*` extension
 * keys dropped, `#/components/schemas/...` references (a component, or a JSON pointer below
 * one: `#/components/schemas/Pet/properties/id`) pointed at one shared components schema,
 * and the two OpenAPI 3.0 dialect differences (`nullable`, boolean
 * `exclusiveMinimum`/`exclusiveMaximum`) translated. Walks schema positions only, so a
 * property that happens to be called `x-foo` or `$ref` keeps its name.
 *
 * A schema without `type` whose `allOf`, `oneOf`, `anyOf` or `$ref` already decide its type
 * (`{ oneOf: [Cat, Dog], required: [kind] }`, each branch an object) gets that type written
 * out, when the walk is given the components: ajv's strict mode refuses a type-specific
 * keyword (`required`, `minLength`...) where it cannot see a type, and the written type
 * admits exactly what the applicators admit already. Where nothing decides the type, the
 * keyword would let values of other types through, and ajv's refusal stands. Likewise a
 * `required` name the schema's own `properties` lack but one of its applicators declares
 * (the discriminator beside a `oneOf`) is declared as `true` where that changes nothing
 * (no `additionalProperties` or `unevaluatedProperties` beside it); a name nothing declares
 * is still refused (ajv's strictRequired).
 *
 * With a `view` (a request or a response body), `readOnly` / `writeOnly` properties are
 * taken out of that direction (read-write-only.ts); without one, or on a schema that flags
 * nothing, the output is the same.
 */
import { isObject, SetupError, type SetupErrorCode } from '../../core/index.js'
import {
  flaggedNames,
  forbiddenSchema,
  isFlagged,
  type Direction,
  type ResolveWritten,
} from './read-write-only.js'
import { LIST, MAP, ONE } from './schema-keywords.js'

const COMPONENT_REF = '#/components/schemas/'

export interface WalkOptions {
  /** `$id` of the schema that holds the components as `$defs`. */
  componentsId: string
  /** OpenAPI 3.0 document: translate its schema dialect. */
  openapi30: boolean
  /** Where the schema sits, for error messages. */
  where: string
  /**
   * The document's `components.schemas` as written: the references the type of a schema
   * without `type` is read through. Without them no type is written out.
   */
  components?: Record<string, unknown>
  /**
   * The direction the schema checks, and the document's `components.schemas` as written (the
   * references the flags are read through): its flagged properties are taken out.
   */
  view?: { direction: Direction; components: Record<string, unknown> }
}

/**
 * A host's rules that cannot be compiled, naming where: SCHEMA_INVALID for a schema, or the
 * code the caller gives (OPENAPI_INVALID for the document's shape, POLICY_INVALID for an
 * extension, CONFIG_INVALID for a config key).
 */
export class SchemaError extends SetupError {
  constructor(where: string, message: string, code: SetupErrorCode = 'SCHEMA_INVALID') {
    super(code, `${where}: ${message}`)
    this.name = 'SchemaError'
  }
}

export function toJsonSchema(schema: unknown, opts: WalkOptions): unknown {
  return walk(schema, opts, opts.where, undefined)
}

/** Applicators whose branches apply at the same place as the schema that holds them. */
const SAME_PLACE = new Set(['allOf', 'anyOf', 'oneOf'])

/**
 * `inherited`: in a view, the property names the enclosing schema flags (a `required` in an
 * `allOf` branch does not see the flags of its sibling branches).
 */
function walk(
  schema: unknown,
  opts: WalkOptions,
  at: string,
  inherited: ReadonlySet<string> | undefined,
): unknown {
  if (typeof schema === 'boolean') return schema
  if (!isObject(schema)) throw new SchemaError(at, 'a schema must be an object or a boolean')
  const view = opts.view
  const resolve = view && writtenResolve(view.components)
  let flagged: Set<string> | undefined
  const flaggedHere = (): Set<string> =>
    (flagged ??= flaggedNames(schema, view!.direction, resolve!, undefined, new Set(inherited)))
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-')) continue
    if (key === '$ref') out.$ref = ref(value, opts, at)
    else if (ONE.has(key)) out[key] = walk(value, opts, `${at}/${key}`, undefined)
    else if (LIST.has(key)) {
      if (!Array.isArray(value)) throw new SchemaError(`${at}/${key}`, 'must be a list of schemas')
      const names = view && SAME_PLACE.has(key) ? flaggedHere() : undefined
      out[key] = value.map((s, i) => walk(s, opts, `${at}/${key}/${i}`, names))
    } else if (MAP.has(key)) {
      if (!isObject(value)) throw new SchemaError(`${at}/${key}`, 'must map names to schemas')
      const m: Record<string, unknown> = {}
      for (const [name, s] of Object.entries(value)) {
        m[name] =
          view && key === 'properties' && isFlagged(s, view.direction, resolve!)
            ? forbiddenSchema(view.direction)
            : walk(s, opts, `${at}/${key}/${name}`, undefined)
      }
      out[key] = m
    } else out[key] = structuredClone(value)
  }
  if (view && Array.isArray(out.required)) {
    const names = flaggedHere()
    if (names.size > 0) {
      const required = out.required.filter((name) => typeof name !== 'string' || !names.has(name))
      if (required.length > 0) out.required = required
      else delete out.required
    }
  }
  if (opts.components && Array.isArray(out.required)) declareRequired(schema, out, opts)
  if (out.type === undefined && opts.components && needsType(out)) {
    const implied = impliedTypes(schema, opts, new Set())
    if (implied?.has('number')) implied.delete('integer')
    if (implied && implied.size > 0) {
      const types = TYPE_ORDER.filter((t) => implied.has(t))
      out.type = types.length === 1 ? types[0] : types
    }
  }
  return opts.openapi30 ? from30(out, at) : out
}

/** A component (`#/components/schemas/Pet`) or a JSON pointer below one. */
const COMPONENT_POINTER = /^#\/components\/schemas\/[^/]+(?:\/.*)?$/

const resolvers = new WeakMap<Record<string, unknown>, ResolveWritten>()

/** Resolves a component reference against the components as written; undefined if it cannot. */
function writtenResolve(components: Record<string, unknown>): ResolveWritten {
  let resolve = resolvers.get(components)
  if (!resolve) {
    const doc = { components: { schemas: components } }
    resolve = (pointer) => {
      if (!COMPONENT_POINTER.test(pointer)) return undefined
      try {
        return resolvePointer(doc, pointer, '')
      } catch {
        return undefined
      }
    }
    resolvers.set(components, resolve)
  }
  return resolve
}

function ref(value: unknown, opts: WalkOptions, at: string): string {
  if (typeof value !== 'string' || !COMPONENT_POINTER.test(value)) {
    throw new SchemaError(at, `only ${COMPONENT_REF}... references are supported`)
  }
  return `${opts.componentsId}#/$defs/${value.slice(COMPONENT_REF.length)}`
}

/**
 * Whether ajv would look for a type here: a type-specific keyword in this schema, or in a
 * branch of its `allOf`, `oneOf` or `anyOf` without a type of its own (with the type written
 * here, ajv sees it in those branches too: `allOf: [{ type: object }, { required: [...] }]`).
 */
function needsType(out: Record<string, unknown>): boolean {
  const typed = (s: Record<string, unknown>) => Object.keys(s).some((k) => k in TYPED)
  if (typed(out)) return true
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    const list = out[key]
    if (!Array.isArray(list)) continue
    for (const b of list) if (isObject(b) && b.type === undefined && typed(b)) return true
  }
  return false
}

/** Keywords ajv applies to some types only, and those types. */
const TYPED: Record<string, readonly string[]> = Object.fromEntries([
  ...[
    'required',
    'properties',
    'patternProperties',
    'additionalProperties',
    'propertyNames',
    'minProperties',
    'maxProperties',
    'dependentRequired',
    'dependentSchemas',
    'dependencies',
    'unevaluatedProperties',
  ].map((k) => [k, ['object']]),
  ...[
    'items',
    'prefixItems',
    'additionalItems',
    'contains',
    'minContains',
    'maxContains',
    'minItems',
    'maxItems',
    'uniqueItems',
    'unevaluatedItems',
  ].map((k) => [k, ['array']]),
  ...['minLength', 'maxLength', 'pattern'].map((k) => [k, ['string']]),
  ...['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].map((k) => [
    k,
    ['number'],
  ]),
  ['format', ['number', 'string']],
])
const TYPE_ORDER = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']

/**
 * Declares (as `true`) the `required` names the schema's applicators declare but its own
 * `properties` do not, where an added `true` property admits nothing new.
 */
function declareRequired(
  schema: Record<string, unknown>,
  out: Record<string, unknown>,
  opts: WalkOptions,
): void {
  if ('additionalProperties' in out || 'unevaluatedProperties' in out) return
  const own = isObject(out.properties) ? out.properties : {}
  const missing = (out.required as unknown[]).filter(
    (name): name is string => typeof name === 'string' && !Object.hasOwn(own, name),
  )
  if (missing.length === 0) return
  const declared = new Set<string>()
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const list = schema[key]
    if (Array.isArray(list)) for (const b of list) declaredNames(b, opts, new Set(), declared)
  }
  const add = missing.filter((name) => declared.has(name))
  if (add.length === 0) return
  const properties: Record<string, unknown> = { ...own }
  for (const name of add) properties[name] = true
  out.properties = properties
}

/** Property names `schema` declares, through its references and applicators. */
function declaredNames(
  schema: unknown,
  opts: WalkOptions,
  seen: Set<unknown>,
  out: Set<string>,
): void {
  if (!isObject(schema) || seen.has(schema)) return
  seen.add(schema)
  if (isObject(schema.properties)) for (const name of Object.keys(schema.properties)) out.add(name)
  if (typeof schema.$ref === 'string' && COMPONENT_POINTER.test(schema.$ref)) {
    try {
      const target = resolvePointer({ components: { schemas: opts.components } }, schema.$ref, '')
      declaredNames(target, opts, seen, out)
    } catch {
      // An unresolvable reference is ajv's to refuse.
    }
  }
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const list = schema[key]
    if (Array.isArray(list)) for (const b of list) declaredNames(b, opts, seen, out)
  }
}

/** `a ∩ b`, an integer being a number. */
function intersect(a: Set<string> | undefined, b: Set<string>): Set<string> {
  if (!a) return b
  const out = new Set<string>()
  for (const t of a) {
    if (b.has(t)) out.add(t)
    else if (t === 'integer' && b.has('number')) out.add('integer')
    else if (t === 'number' && b.has('integer')) out.add('integer')
  }
  return out
}

/**
 * The types every value `schema` accepts must have, as its own `type`, its `$ref` and its
 * applicators decide them (every `allOf` branch, one of the `oneOf` / `anyOf` branches);
 * undefined when they leave the type open.
 */
function impliedTypes(
  schema: unknown,
  opts: WalkOptions,
  seen: Set<unknown>,
): Set<string> | undefined {
  if (!isObject(schema) || seen.has(schema)) return undefined
  seen.add(schema)
  try {
    let types: Set<string> | undefined
    if (typeof schema.type === 'string' || Array.isArray(schema.type)) {
      const own = new Set((Array.isArray(schema.type) ? schema.type : [schema.type]).map(String))
      if (opts.openapi30 && schema.nullable === true) own.add('null')
      types = own
    }
    if (typeof schema.$ref === 'string' && COMPONENT_POINTER.test(schema.$ref)) {
      let target: unknown
      try {
        target = resolvePointer({ components: { schemas: opts.components } }, schema.$ref, '')
      } catch {
        target = undefined
      }
      const t = impliedTypes(target, opts, seen)
      if (t) types = intersect(types, t)
    }
    if (Array.isArray(schema.allOf)) {
      for (const branch of schema.allOf) {
        const t = impliedTypes(branch, opts, seen)
        if (t) types = intersect(types, t)
      }
    }
    for (const key of ['oneOf', 'anyOf'] as const) {
      const list = schema[key]
      if (!Array.isArray(list) || list.length === 0) continue
      const each = list.map((branch) => impliedTypes(branch, opts, seen))
      if (each.some((t) => t === undefined)) continue
      const union = new Set<string>()
      for (const t of each) for (const x of t!) union.add(x)
      types = intersect(types, union)
    }
    return types
  } finally {
    seen.delete(schema)
  }
}

function from30(s: Record<string, unknown>, at: string): Record<string, unknown> {
  for (const [bound, limit] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof s[bound] !== 'boolean') continue
    if (s[bound] === true) {
      if (typeof s[limit] !== 'number') throw new SchemaError(at, `${bound} needs ${limit}`)
      s[bound] = s[limit]
      delete s[limit]
    } else delete s[bound]
  }
  if ('nullable' in s) {
    const nullable = s.nullable === true
    delete s.nullable
    if (nullable) {
      if (typeof s.type === 'string') s.type = [s.type, 'null']
      if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null]
    }
  }
  return s
}

/** Resolves a local JSON pointer (`#/components/requestBodies/X`) inside the document. */
export function resolvePointer(doc: unknown, pointer: string, at: string): unknown {
  if (!pointer.startsWith('#/')) throw new SchemaError(at, 'only local references are supported')
  let node: unknown = doc
  for (const raw of pointer.slice(2).split('/')) {
    const part = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    if (!isObject(node) || !Object.hasOwn(node, part)) {
      throw new SchemaError(at, `reference ${pointer} does not resolve`)
    }
    node = node[part]
  }
  return node
}

/** Follows `$ref` on an OpenAPI object (request body, response) until a real object. */
export function deref(doc: unknown, value: unknown, at: string): Record<string, unknown> {
  let node = value
  for (let hops = 0; hops < 16; hops++) {
    if (!isObject(node)) throw new SchemaError(at, 'must be an object')
    if (typeof node.$ref !== 'string') return node
    node = resolvePointer(doc, node.$ref, at)
  }
  throw new SchemaError(at, 'reference chain too long')
}
