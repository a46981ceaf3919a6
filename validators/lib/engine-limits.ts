/**
 * Schema shapes the engine (ajv) answers unlike the spec, found by the official JSON Schema
 * Test Suite (json-schema-suite.test.ts). A route schema with one of them stops the start,
 * so the validators refuse what they cannot judge instead of judging it wrong:
 *
 * - `$dynamicRef` / `$dynamicAnchor`: dynamic scope is resolved wrongly.
 * - `unevaluatedItems` beside `contains`, or over `items` / `prefixItems` inside an
 *   applicator (`allOf`, `anyOf`, `oneOf`, `not`, `if`, `then`, `else`): items are counted
 *   as evaluated, or not, against the spec.
 * - `unevaluatedProperties` over an `if` without `then`: the properties the failed `if`
 *   looked at count as evaluated, so an undeclared property gets through.
 *
 * Checks the schema in place; `$ref` targets are checked where they are defined.
 */

import { childSchemas, isSchemaObject, type SchemaObject } from './schema-keywords.js'

const DYNAMIC = ['$dynamicRef', '$dynamicAnchor']
const APPLICATORS = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else']

/** Whether `test` holds for `schema` or any schema inside it (in place). */
function some(schema: SchemaObject, test: (s: SchemaObject) => boolean): boolean {
  if (test(schema)) return true
  for (const child of childSchemas(schema)) if (some(child, test)) return true
  return false
}

/** Why the engine cannot be trusted with `schema`, or undefined when it can. */
export function engineLimit(schema: unknown): string | undefined {
  if (!isSchemaObject(schema)) return undefined
  for (const key of DYNAMIC) {
    if (key in schema)
      return `${key} is not supported: the schema engine resolves it unlike the spec`
  }
  if ('unevaluatedItems' in schema) {
    const beside = some(schema, (s) => 'contains' in s)
    const nested = APPLICATORS.some((a) => {
      const under = schema[a]
      const list = Array.isArray(under) ? under : [under]
      return list.some(
        (s) => isSchemaObject(s) && some(s, (n) => 'items' in n || 'prefixItems' in n),
      )
    })
    if (beside || nested) {
      return 'unevaluatedItems with contains, or over items inside allOf/anyOf/oneOf/not/if, is not supported: the schema engine counts evaluated items unlike the spec'
    }
  }
  if ('unevaluatedProperties' in schema && some(schema, (s) => 'if' in s && !('then' in s))) {
    return 'unevaluatedProperties over an if without then is not supported: the schema engine lets through what the failed if evaluated'
  }
  for (const child of childSchemas(schema)) {
    const why = engineLimit(child)
    if (why) return why
  }
  return undefined
}
