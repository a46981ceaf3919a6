/**
 * Compiles one host's schemas (bodies, responses, parameters) on one ajv set-up with the
 * host's components schema, so every `$ref` to `#/components/schemas/...` resolves the same
 * way. Identical schemas (a shared `$ref`, say) compile once. Every `integer` type gets the
 * keyword that refuses a non-canonical spelling (integer-spelling.ts).
 *
 * A `format` ajv does not know (`ulid`, `phone`) is an annotation: OpenAPI's formats are an
 * open set, and a tool that does not know one falls back to the type alone (OpenAPI 3.0
 * and 3.1, "Data Types"; JSON Schema 2020-12's default format vocabulary is annotation only).
 * The formats ajv knows (ajv-formats' and OpenAPI's own) are still checked.
 *
 * A request or a response body is compiled in its direction (read-write-only.ts): where the
 * components flag a property `readOnly` (`writeOnly`), the request (response) bodies refer to
 * a view of the components compiled for that direction, under its own `$id`, once per host
 * and only when first needed; everything else (parameters, a document without flags) refers
 * to the shared components as before.
 */
import type { ValidateFunction } from 'ajv'
import type { OpenApiDocument } from '../../core/index.js'
import { createAjv } from './ajv.js'
import { engineLimit } from './engine-limits.js'
import { markIntegers } from './integer-spelling.js'
import { childSchemas, isSchemaObject } from './schema-keywords.js'
import { componentsIdOf, mentionsFlag, type Direction } from './read-write-only.js'
import { SchemaError, toJsonSchema, type WalkOptions } from './schema-walk.js'
import { isObject } from '../../core/index.js'

/** `direction`: the schema is a request or a response body's (unset for parameters). */
export type SchemaCompiler = (
  schema: unknown,
  where: string,
  direction?: Direction,
) => ValidateFunction

export function createSchemaCompiler(host: string, doc: OpenApiDocument): SchemaCompiler {
  const ajv = createAjv()
  const components = isObject(doc.components?.schemas) ? doc.components.schemas : {}
  const base: Omit<WalkOptions, 'where'> = {
    componentsId: componentsIdOf(host),
    openapi30: doc.openapi.startsWith('3.0.'),
    components,
  }
  const addComponents = (opts: Omit<WalkOptions, 'where'>, where: string): void => {
    const shared = toJsonSchema({ $id: opts.componentsId, $defs: components }, { ...opts, where })
    const limit = engineLimit(shared)
    if (limit) throw new SchemaError(where, limit)
    markIntegers(shared)
    annotateUnknownFormats(ajv, shared)
    ajv.addSchema(shared as object)
  }
  addComponents(base, 'components')
  // Per direction: the walk options of its bodies, the components view added on first use.
  const views = new Map<Direction, Omit<WalkOptions, 'where'>>()
  const viewOf = (direction: Direction): Omit<WalkOptions, 'where'> => {
    if (!views.has(direction)) {
      const view = { direction, components }
      if (mentionsFlag(components, direction)) {
        const opts = { ...base, componentsId: componentsIdOf(host, direction), view }
        addComponents(opts, `components (${direction} view)`)
        views.set(direction, opts)
      } else views.set(direction, { ...base, view })
    }
    return views.get(direction)!
  }
  const compiled = new Map<string, ValidateFunction>()
  return (schema, where, direction) => {
    const opts =
      direction &&
      (viewOf(direction).componentsId !== base.componentsId || mentionsFlag(schema, direction))
        ? viewOf(direction)
        : base
    const json = toJsonSchema(schema, { ...opts, where })
    markIntegers(json)
    annotateUnknownFormats(ajv, json)
    const key = JSON.stringify(json)
    let fn = compiled.get(key)
    if (!fn) {
      const why = engineLimit(json)
      if (why) throw new SchemaError(where, why)
      try {
        fn = ajv.compile(json as object)
      } catch (e) {
        throw new SchemaError(where, (e as Error).message)
      }
      compiled.set(key, fn)
    }
    return fn
  }
}

/** Registers every `format` of `schema` that ajv does not know as one that accepts anything. */
function annotateUnknownFormats(ajv: ReturnType<typeof createAjv>, schema: unknown): void {
  if (!isSchemaObject(schema)) return
  const format = schema.format
  if (typeof format === 'string' && !(format in ajv.formats)) ajv.addFormat(format, true)
  for (const child of childSchemas(schema)) annotateUnknownFormats(ajv, child)
}
