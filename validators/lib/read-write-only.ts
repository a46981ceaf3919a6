/**
 * OpenAPI `readOnly` and `writeOnly` (OWASP API3, broken object property level authorization).
 * A `readOnly` property is the server's to set: a request that carries it is refused (no mass
 * assignment of `role`, `isAdmin`, `id`), and a request is never asked for it (it leaves
 * `required`). A `writeOnly` property is the client's to send: a response that carries it is
 * treated as one carrying an undeclared member (no `password` or `secret` leaking back), and
 * a response is never asked for it.
 *
 * The schema walk applies this per direction (schema-walk.ts, the `view` option): in a
 * request view a `readOnly` property's schema becomes the keyword below, which always fails
 * with `is read-only`; in a response view a `writeOnly` property's becomes the same keyword
 * with `write-only`, which the pruning walk (response/prune.ts) treats as undeclared, and
 * which fails validation should it ever be reached. A property is flagged when its own schema
 * says so, or a schema it references (`$ref`, beside which other keywords may sit) or an
 * `allOf` member of it does, at any depth. Components are compiled once per direction that
 * has flags (schema-compiler.ts); a document without flags compiles as before.
 */
import type { KeywordDefinition } from 'ajv'
import { isObject } from '../../core/index.js'

export type Direction = 'request' | 'response'

/** The flag that takes a property out of each direction. */
export const DIRECTION_FLAG = { request: 'readOnly', response: 'writeOnly' } as const

export const FORBIDDEN_MEMBER_KEYWORD = 'portcullisForbiddenMember'

const FORBIDDEN_TEXT = { request: 'read-only', response: 'write-only' } as const

/** The ajv keyword that stands for a flagged property: any value there fails. */
export const forbiddenMember: KeywordDefinition = {
  keyword: FORBIDDEN_MEMBER_KEYWORD,
  schemaType: 'string',
  validate: () => false,
  error: { message: (cxt) => `is ${String(cxt.schema)}` },
}

/** The schema a flagged property gets in a view. */
export function forbiddenSchema(direction: Direction): Record<string, unknown> {
  return { [FORBIDDEN_MEMBER_KEYWORD]: FORBIDDEN_TEXT[direction] }
}

/** Whether a converted property schema is the stand-in of a flagged property. */
export function isForbiddenMember(schema: unknown): boolean {
  return isObject(schema) && Object.hasOwn(schema, FORBIDDEN_MEMBER_KEYWORD)
}

/** `$id` of a host's components: the shared one, or the view of one direction. */
export function componentsIdOf(host: string, direction?: Direction): string {
  const id = `urn:portcullis:${host}:components`
  return direction ? `${id}:${direction}` : id
}

/** Whether `value` (a schema, the components) sets the direction's flag anywhere. */
export function mentionsFlag(value: unknown, direction: Direction): boolean {
  const flag = DIRECTION_FLAG[direction]
  const seen = new Set<unknown>()
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v !== 'object' || v === null || seen.has(v)) continue
    seen.add(v)
    if (Array.isArray(v)) stack.push(...(v as unknown[]))
    else {
      if ((v as Record<string, unknown>)[flag] === true) return true
      stack.push(...Object.values(v))
    }
  }
  return false
}

/** Resolves a document reference (`#/components/schemas/X...`) to the schema as written. */
export type ResolveWritten = (ref: string) => unknown

/** Whether a property schema as written carries the flag: itself, its `$ref`, its `allOf`. */
export function isFlagged(
  schema: unknown,
  direction: Direction,
  resolve: ResolveWritten,
  seen: Set<unknown> = new Set(),
): boolean {
  if (!isObject(schema) || seen.has(schema)) return false
  seen.add(schema)
  if (schema[DIRECTION_FLAG[direction]] === true) return true
  if (
    typeof schema.$ref === 'string' &&
    isFlagged(resolve(schema.$ref), direction, resolve, seen)
  ) {
    return true
  }
  return (
    Array.isArray(schema.allOf) && schema.allOf.some((s) => isFlagged(s, direction, resolve, seen))
  )
}

/**
 * The property names `schema` (as written) flags, in its own `properties` and in those of the
 * schemas that apply at the same place: its `$ref`, `allOf`, `anyOf`, `oneOf`.
 */
export function flaggedNames(
  schema: unknown,
  direction: Direction,
  resolve: ResolveWritten,
  seen: Set<unknown> = new Set(),
  out: Set<string> = new Set(),
): Set<string> {
  if (!isObject(schema) || seen.has(schema)) return out
  seen.add(schema)
  if (isObject(schema.properties)) {
    for (const [name, property] of Object.entries(schema.properties)) {
      if (isFlagged(property, direction, resolve)) out.add(name)
    }
  }
  if (typeof schema.$ref === 'string') {
    flaggedNames(resolve(schema.$ref), direction, resolve, seen, out)
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[key]
    if (Array.isArray(list)) for (const s of list) flaggedNames(s, direction, resolve, seen, out)
  }
  return out
}
