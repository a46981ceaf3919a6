import { describe, expect, it } from 'vitest'
import type { OpenApiDocument } from '../../core/index.js'
import { createSchemaCompiler } from './schema-compiler.js'

function compilerFor(schemas: Record<string, unknown>, openapi = '3.1.0') {
  const doc: OpenApiDocument = { openapi, paths: {}, components: { schemas } }
  return createSchemaCompiler('h', doc)
}

const cat = {
  type: 'object',
  required: ['kind', 'lives'],
  properties: { kind: { const: 'cat' }, lives: { type: 'integer' } },
}
const dog = {
  allOf: [
    { type: 'object', properties: { kind: { const: 'dog' } } },
    { required: ['kind'], properties: { bark: { type: 'string', format: 'loudness' } } },
  ],
}

describe('schema walk: documents as their authors write them', () => {
  it('follows a reference to a JSON pointer below a component', () => {
    const compile = compilerFor({ Cat: cat })
    const lives = compile({ $ref: '#/components/schemas/Cat/properties/lives' }, 'lives')
    expect(lives(9)).toBe(true)
    expect(lives('9')).toBe(false)
    expect(() => compile({ $ref: '#/components/schemas/' }, 'empty')).toThrow(
      /only #\/components\/schemas\/\.\.\. references/,
    )
    expect(() => compile({ $ref: '#/paths/~1a' }, 'elsewhere')).toThrow(/references are supported/)
  })

  it('reads the type a schema without `type` gets from its oneOf, allOf and references', () => {
    const compile = compilerFor({
      Cat: cat,
      Dog: dog,
      Pet: {
        discriminator: { propertyName: 'kind' },
        oneOf: [{ $ref: '#/components/schemas/Cat' }, { $ref: '#/components/schemas/Dog' }],
        required: ['kind'],
      },
    })
    const pet = compile({ $ref: '#/components/schemas/Pet' }, 'pet')
    expect(pet({ kind: 'cat', lives: 9 })).toBe(true)
    expect(pet({ kind: 'dog' })).toBe(true)
    expect(pet({ lives: 9 })).toBe(false)
    expect(pet('cat')).toBe(false)
  })

  it('still refuses a type-specific keyword where nothing decides the type', () => {
    // `{ "a": 1 }` is refused, `"a"` would pass: the author meant an object and did not say so.
    expect(() =>
      compilerFor({ Loose: { properties: { a: { type: 'string' } }, required: ['a'] } })(
        { $ref: '#/components/schemas/Loose' },
        'loose',
      ),
    ).toThrow(/missing type "object" for keyword "required"/)
    expect(() =>
      compilerFor({ Mixed: { anyOf: [{ type: 'string' }, {}], minLength: 2 } })(
        { $ref: '#/components/schemas/Mixed' },
        'mixed',
      ),
    ).toThrow(/strict mode/)
  })

  it('declares a required name its branches declare, never one nobody declares', () => {
    const compile = compilerFor({ Cat: cat })
    const ok = compile(
      { oneOf: [{ $ref: '#/components/schemas/Cat' }], required: ['kind'] },
      'declared',
    )
    expect(ok({ kind: 'cat', lives: 1 })).toBe(true)
    expect(() =>
      compile({ oneOf: [{ $ref: '#/components/schemas/Cat' }], required: ['colour'] }, 'typo'),
    ).toThrow(/required property "colour" is not defined/)
  })

  it('takes a format it does not know as an annotation, and still checks those it knows', () => {
    const compile = compilerFor({})
    const ulid = compile({ type: 'string', format: 'ulid' }, 'ulid')
    expect(ulid('anything')).toBe(true)
    expect(ulid(3)).toBe(false)
    const email = compile({ type: 'string', format: 'email' }, 'email')
    expect(email('not an email')).toBe(false)
  })

  it('reads an OpenAPI 3.0 nullable branch into the type it writes out', () => {
    const compile = compilerFor(
      {
        Maybe: {
          anyOf: [{ type: 'object', nullable: true, properties: { a: { type: 'string' } } }],
          required: ['a'],
        },
      },
      '3.0.3',
    )
    const maybe = compile({ $ref: '#/components/schemas/Maybe' }, 'maybe')
    expect(maybe({ a: 'x' })).toBe(true)
    expect(maybe(null)).toBe(true)
    expect(maybe({})).toBe(false)
  })
})
