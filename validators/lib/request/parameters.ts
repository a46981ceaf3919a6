/**
 * An operation's declared parameters (path, query, header, cookie), compiled once at start:
 * the OpenAPI serialisation turned into values of the schema's type, then ajv. Query
 * parameters use the `form` style (arrays as repeated names, or comma-separated with
 * `explode: false`); path and header parameters the `simple` style. Other styles, object
 * parameters and `content` parameters stop the start: a shape the validator cannot read
 * exactly is not enforced loosely.
 */
import type { ValidateFunction } from 'ajv'
import type { OpenApiDocument } from '../../../core/index.js'
import { deref, resolvePointer, SchemaError } from '../schema-walk.js'
import type { SchemaCompiler } from '../schema-compiler.js'
import { isObject } from '../../../core/index.js'

export const PARAMETER_LOCATIONS = ['path', 'query', 'header', 'cookie'] as const
export type ParameterLocation = (typeof PARAMETER_LOCATIONS)[number]

export type Scalar = 'string' | 'integer' | 'number' | 'boolean' | 'any'

export interface CompiledParameter {
  /** As declared; lowercase for headers (their names are case-insensitive). */
  name: string
  in: ParameterLocation
  required: boolean
  allowEmptyValue: boolean
  shape: { kind: 'scalar'; type: Scalar } | { kind: 'array'; items: Scalar; explode: boolean }
  validate: ValidateFunction
}

/** Headers OpenAPI says a header parameter may not describe (the media step owns them). */
const IGNORED_HEADER_PARAMETERS = new Set(['accept', 'content-type', 'authorization'])

/** The schema behind local `$ref`s, to learn its type (the compiler follows them itself). */
export function resolvedSchema(
  doc: OpenApiDocument,
  schema: unknown,
  where: string,
): Record<string, unknown> {
  let node = schema
  for (let hops = 0; hops < 16; hops++) {
    if (!isObject(node)) return {}
    if (typeof node.$ref !== 'string') return node
    node = resolvePointer(doc, node.$ref, where)
  }
  throw new SchemaError(where, 'reference chain too long')
}

export function scalarOf(
  doc: OpenApiDocument,
  schema: unknown,
  where: string,
): Scalar | 'array' | 'object' {
  const s = resolvedSchema(doc, schema, where)
  const types = (Array.isArray(s.type) ? s.type : [s.type]).filter(
    (t) => t !== undefined && t !== 'null',
  )
  if (types.length !== 1) return 'any'
  const t = types[0]
  if (t === 'string' || t === 'integer' || t === 'number' || t === 'boolean') return t
  if (t === 'array' || t === 'object') return t
  return 'any'
}

/** Path-item parameters, overridden by the operation's own of the same name and location. */
export function declaredParameters(
  doc: OpenApiDocument,
  pathItem: Record<string, unknown>,
  op: Record<string, unknown>,
  where: string,
): Array<Record<string, unknown>> {
  const byKey = new Map<string, Record<string, unknown>>()
  for (const list of [pathItem.parameters, op.parameters]) {
    if (list === undefined) continue
    if (!Array.isArray(list))
      throw new SchemaError(where, 'parameters must be a list', 'OPENAPI_INVALID')
    for (const raw of list) {
      const p = deref(doc, raw, `${where} parameter`)
      if (
        typeof p.name !== 'string' ||
        !(PARAMETER_LOCATIONS as readonly unknown[]).includes(p.in)
      ) {
        throw new SchemaError(where, 'a parameter needs a name and a location', 'OPENAPI_INVALID')
      }
      const name = p.in === 'header' ? p.name.toLowerCase() : p.name
      byKey.set(`${String(p.in)}:${name}`, p)
    }
  }
  return [...byKey.values()]
}

export function compileParameter(
  doc: OpenApiDocument,
  p: Record<string, unknown>,
  compile: SchemaCompiler,
  where: string,
): CompiledParameter | undefined {
  const location = p.in as ParameterLocation
  const name = location === 'header' ? (p.name as string).toLowerCase() : (p.name as string)
  const at = `${where} ${location} parameter ${name}`
  if (location === 'header' && IGNORED_HEADER_PARAMETERS.has(name)) return undefined
  if (p.content !== undefined) throw new SchemaError(at, 'content parameters are not supported')
  if (p.schema === undefined) throw new SchemaError(at, 'a parameter needs a schema')
  const defaultStyle = location === 'query' || location === 'cookie' ? 'form' : 'simple'
  const style = p.style ?? defaultStyle
  if (style !== defaultStyle) throw new SchemaError(at, `style ${String(style)} is not supported`)
  const explode = typeof p.explode === 'boolean' ? p.explode : style === 'form'
  const type = scalarOf(doc, p.schema, at)
  if (type === 'object') throw new SchemaError(at, 'object parameters are not supported')
  let shape: CompiledParameter['shape']
  if (type === 'array') {
    const items = scalarOf(doc, resolvedSchema(doc, p.schema, at).items, at)
    if (items === 'array' || items === 'object') {
      throw new SchemaError(at, 'arrays of arrays or objects are not supported')
    }
    shape = { kind: 'array', items, explode }
  } else shape = { kind: 'scalar', type }
  return {
    name,
    in: location,
    required: location === 'path' || p.required === true,
    allowEmptyValue: p.allowEmptyValue === true,
    shape,
    validate: compile(p.schema, at),
  }
}

/** A canonical integer: no sign on zero, no leading zero, no fraction or exponent. */
const INTEGER = /^(?:0|-?[1-9][0-9]*)$/
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/

/** One serialised value as the schema's type; a string saying why not when it cannot be. */
export function convertScalar(raw: string, type: Scalar): { value: unknown } | { fault: string } {
  switch (type) {
    case 'integer': {
      if (!INTEGER.test(raw)) return { fault: 'must be an integer' }
      const n = Number(raw)
      return Number.isSafeInteger(n) ? { value: n } : { fault: 'is beyond 2^53' }
    }
    case 'number': {
      if (!NUMBER.test(raw)) return { fault: 'must be a number' }
      const n = Number(raw)
      if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) {
        return { fault: 'is beyond 2^53' }
      }
      return { value: n }
    }
    case 'boolean':
      return raw === 'true'
        ? { value: true }
        : raw === 'false'
          ? { value: false }
          : { fault: 'must be true or false' }
    default:
      return { value: raw }
  }
}

export type ParameterCheck = { ok: true; value: unknown } | { ok: false; detail: string }

/**
 * Reads and validates one parameter from its serialised values (a query parameter may
 * repeat; path and header parameters have one value). `values` is empty when absent.
 */
export function checkParameter(p: CompiledParameter, values: readonly string[]): ParameterCheck {
  const label = `${p.in} parameter ${p.name.replace(/[^\x21-\x7e]/g, '?').slice(0, 64)}`
  const fail = (why: string): ParameterCheck => ({ ok: false, detail: `${label} ${why}` })
  if (values.length === 0) return p.required ? fail('is required') : { ok: true, value: undefined }
  let items: string[]
  if (p.shape.kind === 'array') {
    if (p.shape.explode && p.in === 'query') items = [...values]
    else if (values.length > 1) return fail('appears more than once')
    else items = values[0] === '' ? [] : values[0]!.split(',')
  } else if (values.length > 1) return fail('appears more than once')
  else items = [values[0]!]
  if (p.in === 'query' && !p.allowEmptyValue && values.some((v) => v === '')) {
    return fail('must not be empty')
  }
  const type = p.shape.kind === 'array' ? p.shape.items : p.shape.type
  const converted: unknown[] = []
  for (const raw of items) {
    const c = convertScalar(p.in === 'header' && p.shape.kind === 'array' ? raw.trim() : raw, type)
    if ('fault' in c) return fail(c.fault)
    converted.push(c.value)
  }
  const value = p.shape.kind === 'array' ? converted : converted[0]
  if (!p.validate(value)) {
    const err = p.validate.errors?.[0]
    const where = err?.instancePath ?? ''
    return fail(
      `${where}${where ? ' ' : ''}${err?.message ?? 'is invalid'}`
        .replace(/[^\x20-\x7e]/g, '?')
        .slice(0, 200),
    )
  }
  return { ok: true, value }
}
