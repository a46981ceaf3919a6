import { describe, expect, it } from 'vitest'
import { pruneUndeclared, type ResolveRef, type SchemaNode } from './prune.js'

const none: ResolveRef = () => undefined

describe('pruneUndeclared', () => {
  it('drops what no applicable schema declares and leaves the input untouched', () => {
    const value = { a: 1, b: { c: 2, d: 3 }, e: 4 }
    const schema = {
      type: 'object',
      properties: { a: {}, b: { properties: { c: {} } } },
    }
    const result = pruneUndeclared(value, schema, none)
    expect(result.value).toEqual({ a: 1, b: { c: 2 } })
    expect(result.dropped).toEqual(['/b/d', '/e'])
    expect(value).toEqual({ a: 1, b: { c: 2, d: 3 }, e: 4 })
  })

  it('returns the input itself when nothing is dropped', () => {
    const value = { a: [1, { b: 2 }] }
    const schema = { properties: { a: { items: { properties: { b: {} } } } } }
    expect(pruneUndeclared(value, schema, none).value).toBe(value)
  })

  it('follows references, also recursive ones', () => {
    const defs: Record<string, SchemaNode> = {
      Node: {
        type: 'object',
        properties: { name: {}, children: { type: 'array', items: { $ref: 'x#/Node' } } },
      },
    }
    const resolve: ResolveRef = (ref) => defs[ref.slice(3)]
    const value = { name: 'a', secret: 1, children: [{ name: 'b', children: [{ secret: 2 }] }] }
    const result = pruneUndeclared(value, { $ref: 'x#/Node' }, resolve)
    expect(result.value).toEqual({ name: 'a', children: [{ name: 'b', children: [{}] }] })
    expect(result.dropped).toEqual(['/secret', '/children/0/children/0/secret'])
  })

  it('takes allOf, if/then/else, dependentSchemas and patternProperties together', () => {
    const schema = {
      allOf: [{ properties: { a: {} } }, { properties: { b: {} } }],
      if: { properties: { kind: { const: 'x' } } },
      then: { properties: { x: {} } },
      else: { properties: { y: {} } },
      dependentSchemas: { a: { properties: { withA: {} } } },
      patternProperties: { '^tag-': {} },
    }
    const value = { a: 1, b: 2, kind: 'x', x: 3, y: 4, withA: 5, 'tag-1': 6, other: 7 }
    expect(pruneUndeclared(value, schema, none).dropped).toEqual(['/other'])
  })

  it('keeps maps and free-form objects, and escapes pointers', () => {
    const schema = {
      properties: {
        map: { additionalProperties: { type: 'integer' } },
        free: { type: 'object' },
        any: true,
      },
    }
    const value = { map: { x: 1 }, free: { y: { z: 1 } }, any: { w: 1 }, 'a/b~c': 1 }
    const result = pruneUndeclared(value, schema, none)
    expect(result.dropped).toEqual(['/a~1b~0c'])
    expect(result.value).toEqual({ map: { x: 1 }, free: { y: { z: 1 } }, any: { w: 1 } })
  })

  it('keeps a member named __proto__ as a member when it is declared, never as a prototype', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1,"b":2}') as object
    // An object literal's `__proto__:` would set its prototype: the schema is parsed too.
    const schema = JSON.parse('{"properties":{"__proto__":{"type":"object"},"a":{}}}') as SchemaNode
    const result = pruneUndeclared(value, schema, none)
    expect(Object.keys(result.value as object)).toEqual(['__proto__', 'a'])
    expect(Object.getPrototypeOf(result.value)).toBeNull()
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
