/**
 * Where a JSON Schema holds further schemas, by keyword: what the validators' schema walk
 * converts, the engine limits look through, and the extension check (extensions.ts) visits.
 * One table for all three, here because core's walk runs in workerd too.
 */
import { isObject } from '../util/index.js'

/** Keywords whose value is one schema. */
export const ONE = new Set([
  'items',
  'additionalItems',
  'additionalProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
])
/** Keywords whose value is a list of schemas. */
export const LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems'])
/** Keywords whose value maps names to schemas. */
export const MAP = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
])

export type SchemaObject = Record<string, unknown>

export const isSchemaObject: (v: unknown) => v is SchemaObject = isObject

/** The schema objects directly under `schema`, in place (a `$ref` is not followed). */
export function* childSchemas(schema: SchemaObject): Generator<SchemaObject> {
  for (const [key, value] of Object.entries(schema)) {
    const list = ONE.has(key)
      ? [value]
      : LIST.has(key) && Array.isArray(value)
        ? value
        : MAP.has(key) && isSchemaObject(value)
          ? Object.values(value)
          : []
    for (const s of list) if (isSchemaObject(s)) yield s
  }
}
