/**
 * The properties a form or multipart body's schema declares, for reading the body field by
 * field: those of the object schema itself and of every `allOf`, `oneOf` and `anyOf` branch
 * (through `$ref`), so a composed schema (`oneOf: [Beverage, Dessert]`, as real documents
 * write them) is read like a plain one. The whole schema still validates the assembled
 * object. A name that two branches declare with different shapes (a string here, a list
 * there) cannot be read exactly, and neither can a schema that declares no property.
 */
import type { OpenApiDocument } from '../../../core/index.js'
import { resolvedSchema, scalarOf } from './parameters.js'
import { isObject } from '../../../core/index.js'

const BRANCHES = ['allOf', 'oneOf', 'anyOf'] as const
/** Nesting of compositions followed; deeper is refused as unreadable, never guessed. */
const MAX_DEPTH = 16

/** A property's shape as a body reader sees it: its type, and its items' for a list. */
function shapeOf(doc: OpenApiDocument, property: unknown, where: string): string {
  const type = scalarOf(doc, property, where)
  if (type !== 'array') return type
  return `array of ${scalarOf(doc, resolvedSchema(doc, property, where).items, where)}`
}

export type BodyProperties = Map<string, unknown> | { unreadable: string }

export function bodyPropertiesOf(
  doc: OpenApiDocument,
  schema: unknown,
  where: string,
): BodyProperties {
  const found = new Map<string, { schema: unknown; shape: string }>()
  const seen = new Set<unknown>()
  let conflict: string | undefined
  let notObject = false
  const visit = (node: unknown, depth: number): void => {
    if (conflict !== undefined || notObject) return
    if (depth > MAX_DEPTH) {
      conflict = 'the schema nests compositions too deeply'
      return
    }
    const s = resolvedSchema(doc, node, where)
    if (seen.has(s)) return
    seen.add(s)
    const type = scalarOf(doc, node, where)
    if (type !== 'object' && type !== 'any') {
      notObject = true
      return
    }
    if (isObject(s.properties)) {
      for (const [name, property] of Object.entries(s.properties)) {
        const shape = shapeOf(doc, property, `${where} property ${name}`)
        const earlier = found.get(name)
        if (earlier && earlier.shape !== shape) {
          conflict = `property ${name} is ${earlier.shape} in one branch and ${shape} in another`
          return
        }
        if (!earlier) found.set(name, { schema: property, shape })
      }
    }
    for (const key of BRANCHES) {
      const list = s[key]
      if (Array.isArray(list)) for (const branch of list) visit(branch, depth + 1)
    }
  }
  visit(schema, 0)
  if (conflict !== undefined) return { unreadable: conflict }
  if (notObject || found.size === 0) {
    return { unreadable: 'the schema is not an object with properties' }
  }
  return new Map([...found].map(([name, p]) => [name, p.schema]))
}
