/**
 * Turns an OpenAPI schema object into a plain JSON Schema ajv can compile: `x-*` extension
 * keys dropped, `#/components/schemas/...` references pointed at one shared components
 * schema, and the two OpenAPI 3.0 dialect differences (`nullable`, boolean
 * `exclusiveMinimum`/`exclusiveMaximum`) translated. Walks schema positions only, so a
 * property that happens to be called `x-foo` or `$ref` keeps its name.
 */
import { LIST, MAP, ONE } from './schema-keywords.js'

const COMPONENT_REF = '#/components/schemas/'

export interface WalkOptions {
  /** `$id` of the schema that holds the components as `$defs`. */
  componentsId: string
  /** OpenAPI 3.0 document: translate its schema dialect. */
  openapi30: boolean
  /** Where the schema sits, for error messages. */
  where: string
}

export class SchemaError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`)
    this.name = 'SchemaError'
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function toJsonSchema(schema: unknown, opts: WalkOptions): unknown {
  return walk(schema, opts, opts.where)
}

function walk(schema: unknown, opts: WalkOptions, at: string): unknown {
  if (typeof schema === 'boolean') return schema
  if (!isObject(schema)) throw new SchemaError(at, 'a schema must be an object or a boolean')
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-')) continue
    if (key === '$ref') out.$ref = ref(value, opts, at)
    else if (ONE.has(key)) out[key] = walk(value, opts, `${at}/${key}`)
    else if (LIST.has(key)) {
      if (!Array.isArray(value)) throw new SchemaError(`${at}/${key}`, 'must be a list of schemas')
      out[key] = value.map((s, i) => walk(s, opts, `${at}/${key}/${i}`))
    } else if (MAP.has(key)) {
      if (!isObject(value)) throw new SchemaError(`${at}/${key}`, 'must map names to schemas')
      const m: Record<string, unknown> = {}
      for (const [name, s] of Object.entries(value)) m[name] = walk(s, opts, `${at}/${key}/${name}`)
      out[key] = m
    } else out[key] = structuredClone(value)
  }
  return opts.openapi30 ? from30(out, at) : out
}

function ref(value: unknown, opts: WalkOptions, at: string): string {
  if (typeof value !== 'string' || !value.startsWith(COMPONENT_REF)) {
    throw new SchemaError(at, `only ${COMPONENT_REF}... references are supported`)
  }
  return `${opts.componentsId}#/$defs/${value.slice(COMPONENT_REF.length)}`
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
