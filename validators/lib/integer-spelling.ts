/**
 * `type: integer` refuses a number spelled with a fraction or an exponent (`1.0`, `1e2`,
 * `100e-2`, `1E0`) or as `-0`, in JSON request bodies: `JSON.parse` reads them as integers,
 * but upstream parsers disagree (a float, a decimal, an error, or 0), so the value the
 * validator judged is not the value the upstream stores. `type: number` still takes them.
 *
 * How, at no cost for a body without such a number: the JSON pre-scan (`json-limits.ts`)
 * already reads every number's text; it records the JSON pointers of the integral ones
 * spelled that way, and only when there are any. The schema compiler puts the keyword below
 * beside every `integer` type; its generated code reads one variable per integer value and,
 * only when the set exists, looks the value's instance path up in it. ajv validates
 * synchronously, so `validateWithSpellings` sets the set for one call and clears it.
 */
import type { KeywordCxt, KeywordDefinition, ValidateFunction } from 'ajv'
import { _, Name } from 'ajv'
import { strConcat } from 'ajv/dist/compile/codegen/index.js'
import { childSchemas, isSchemaObject, type SchemaObject } from './schema-keywords.js'

export const INTEGER_SPELLING_KEYWORD = 'portcullisIntegerSpelling'

/** The pointers of the body being validated now; undefined outside a call, or when none. */
const current: { pointers: ReadonlySet<string> | undefined } = { pointers: undefined }

/** The generated functions' instance-path parameter (ajv's `names.instancePath`). */
const INSTANCE_PATH = new Name('instancePath')

export const integerSpelling: KeywordDefinition = {
  keyword: INTEGER_SPELLING_KEYWORD,
  type: 'number',
  schemaType: 'boolean',
  code(cxt: KeywordCxt) {
    const { gen, it } = cxt
    const spelled = gen.scopeValue('keyword', { ref: current })
    const at = strConcat(INSTANCE_PATH, it.errorPath)
    cxt.fail(_`${spelled}.pointers !== undefined && ${spelled}.pointers.has(${at})`)
  },
  error: { message: 'must be an integer written without a fraction, an exponent or -0' },
}

function saysInteger(schema: SchemaObject): boolean {
  const type = schema.type
  return type === 'integer' || (Array.isArray(type) && type.includes('integer'))
}

/** Adds the keyword beside every `integer` type of a converted schema, in place. */
export function markIntegers(schema: unknown): void {
  if (!isSchemaObject(schema)) return
  if (saysInteger(schema)) schema[INTEGER_SPELLING_KEYWORD] = true
  for (const child of childSchemas(schema)) markIntegers(child)
}

/** `validate(value)`, with the pointers of `value`'s non-canonical integers in force. */
export function validateWithSpellings(
  validate: ValidateFunction,
  value: unknown,
  pointers: ReadonlySet<string> | undefined,
): boolean {
  if (pointers === undefined) return validate(value) as boolean
  current.pointers = pointers
  try {
    return validate(value) as boolean
  } finally {
    current.pointers = undefined
  }
}
