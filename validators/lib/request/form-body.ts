/**
 * `application/x-www-form-urlencoded` request bodies, read as OpenAPI serialises them (each
 * schema property a field, `form` style, arrays as repeated fields) and checked against the
 * operation's schema like a JSON body: a declared form is not a way around the contract.
 *
 * Compiled once at start (`compileFormBody`): the body schema must be an object whose
 * properties are scalars or arrays of scalars, with the default encoding. A form of any other
 * shape (an object field, which servers flatten in incompatible ways) cannot be read exactly:
 * the start goes on, and a body of that media type is refused as UNSUPPORTED_MEDIA_TYPE,
 * never passed unchecked (the operation's other media types still serve). At run time (`readFormBody`) a body is
 * refused as BODY_MALFORMED when two parsers could read it differently: an invalid
 * percent-escape, bytes that are not UTF-8, a raw `;` (older parsers split on it), an encoded
 * NUL or control character other than tab, CR and LF, more fields or a longer field name than
 * the query's limits.
 */
import type { ValidateFunction } from 'ajv'
import {
  GatewayError,
  isObject,
  type OpenApiDocument,
  type RequestValidationPolicy,
} from '../../../core/index.js'
import type { SchemaCompiler } from '../schema-compiler.js'
import { describeViolation } from '../schemas.js'
import { bodyPropertiesOf } from './body-properties.js'
import { convertScalar, resolvedSchema, scalarOf, type Scalar } from './parameters.js'
import { percentDecode } from './percent.js'
import { shownName } from './query.js'

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded'

type FieldShape = { kind: 'scalar'; type: Scalar } | { kind: 'array'; items: Scalar }

export type FormBody =
  { fields: Map<string, FieldShape>; validate: ValidateFunction } | { unreadable: string }

/** The reader of one operation's form body; `media` is the OpenAPI media type object. */
export function compileFormBody(
  doc: OpenApiDocument,
  media: Record<string, unknown>,
  compile: SchemaCompiler,
  where: string,
): FormBody {
  const properties = bodyPropertiesOf(doc, media.schema, where)
  if ('unreadable' in properties) return properties
  if (isObject(media.encoding)) {
    for (const [name, encoding] of Object.entries(media.encoding)) {
      if (!isObject(encoding)) continue
      const style = encoding.style ?? 'form'
      if (style !== 'form' || encoding.explode === false || encoding.contentType !== undefined) {
        return { unreadable: `field ${name}: only the default form encoding can be read` }
      }
    }
  }
  const fields = new Map<string, FieldShape>()
  for (const [name, property] of properties) {
    const at = `${where} field ${name}`
    const type = scalarOf(doc, property, at)
    if (type === 'object') return { unreadable: `field ${name} is an object` }
    if (type === 'array') {
      const items = scalarOf(doc, resolvedSchema(doc, property, at).items, at)
      if (items === 'array' || items === 'object') {
        return { unreadable: `field ${name} is an array of arrays or objects` }
      }
      fields.set(name, { kind: 'array', items })
    } else fields.set(name, { kind: 'scalar', type })
  }
  return { fields, validate: compile(media.schema, where, 'request') }
}

const encoder = new TextEncoder()

function malformed(detail: string): GatewayError {
  return new GatewayError('BODY_MALFORMED', { detail, reason: detail })
}

function violation(detail: string): GatewayError {
  return new GatewayError('BODY_SCHEMA_VIOLATION', { detail, reason: detail })
}

// C0 controls but tab, LF and CR (a textarea's line breaks), and DEL.
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/

function decodeField(raw: string, what: string): string {
  const result = percentDecode(raw, true)
  if (!result.ok) {
    throw malformed(
      result.fault === 'bad-utf8'
        ? `a form ${what} decodes to bytes that are not UTF-8`
        : `a form ${what} has an invalid percent-escape`,
    )
  }
  if (CONTROL.test(result.text)) throw malformed(`a form ${what} has an encoded control character`)
  return result.text
}

/** Reads and validates a form body; returns the object the schema saw (for the scan). */
export function readFormBody(
  text: string,
  form: FormBody,
  limits: RequestValidationPolicy['query'],
): Record<string, unknown> {
  if ('unreadable' in form) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', {
      reason: `a form the validator cannot read exactly (${form.unreadable}); send another declared media type`,
    })
  }
  if (text.includes(';')) throw malformed('the form has a raw ";" separator')
  const values = new Map<string, string[]>()
  let count = 0
  for (const pair of text.split('&')) {
    if (pair === '') continue
    if (++count > limits.maxParameters) {
      throw malformed(`the form has more than ${limits.maxParameters} fields`)
    }
    const eq = pair.indexOf('=')
    const name = decodeField(eq < 0 ? pair : pair.slice(0, eq), 'field name')
    if (name === '') throw malformed('a form field has no name')
    if (encoder.encode(name).length > limits.maxNameBytes) {
      throw malformed(`a form field name is longer than ${limits.maxNameBytes} bytes`)
    }
    const value = eq < 0 ? '' : decodeField(pair.slice(eq + 1), 'field value')
    const list = values.get(name)
    if (list) list.push(value)
    else values.set(name, [value])
  }
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const [name, raw] of values) {
    const shape = form.fields.get(name)
    if (!shape) {
      // Undeclared: the schema decides (additionalProperties), as for a JSON body.
      out[name] = raw.length === 1 ? raw[0] : raw
      continue
    }
    if (shape.kind === 'scalar' && raw.length > 1) {
      throw violation(`form field ${shownName(name)} appears more than once`)
    }
    const type = shape.kind === 'array' ? shape.items : shape.type
    const converted = raw.map((r) => {
      const c = convertScalar(r, type)
      if ('fault' in c) throw violation(`form field ${shownName(name)} ${c.fault}`)
      return c.value
    })
    out[name] = shape.kind === 'array' ? converted : converted[0]
  }
  const value = { ...out }
  if (!form.validate(value)) throw violation(describeViolation(form.validate))
  return value
}
