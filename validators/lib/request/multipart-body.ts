/**
 * `multipart/form-data` request bodies, read as OpenAPI serialises them (each schema property
 * a part by name, arrays as repeated parts) and checked against the operation's schema like a
 * JSON body: declaring multipart is not a way around the contract.
 *
 * Compiled once at start (`compileMultipartBody`): the body schema must be an object with
 * properties, its own or its `allOf`/`oneOf`/`anyOf` branches' (body-properties.ts). A
 * property is a file part when it is `type: string, format: binary` (3.0), a string with
 * `contentMediaType` and no `contentEncoding`, or has no type in a 3.1 document;
 * its bytes are neither decoded nor scanned, but they reach the schema as a string of one
 * character per byte, so `maxLength` bounds the file's size. An object property is a JSON part
 * (parsed strictly); the others are text converted to the property type with the canonical
 * spellings of form fields (`convertScalar`); an array property is a repeated part. An
 * `encoding` entry may name a `contentType` (a list, ranges allowed) the part's own must
 * match; any other encoding key (`headers`, `style`…) makes the form unreadable: the start
 * goes on and a body of that media type is refused as UNSUPPORTED_MEDIA_TYPE, never passed.
 *
 * At run time (`readMultipartBody`) the framing is @fastify/busboy's multipart parser (Dicer).
 * A body is refused as BODY_MALFORMED when two parsers could read it differently: a missing or
 * invalid boundary (RFC 2046 characters, 1 to 70), bytes before the first delimiter or after
 * the close delimiter other than one CRLF, a body that does not end with the close delimiter,
 * a part without a header block, a part header other than Content-Disposition, Content-Type
 * and Content-Transfer-Encoding (RFC 7578 §4.8) or one of them twice, a disposition other
 * than `form-data` with a quoted `name`, a `filename*` or `name*`, a name or filename with a
 * control character, a backslash or bytes that are not UTF-8, a Content-Transfer-Encoding
 * other than 7bit, 8bit or binary, a text part that is not UTF-8 or has a control character
 * other than tab, CR and LF, more parts than the query's parameter limit or a longer name
 * than its name limit. A single-valued field sent twice, a file part where text is declared,
 * JSON that does not parse and a part type outside `encoding.contentType` are
 * BODY_SCHEMA_VIOLATION.
 */
import { Dicer } from '@fastify/busboy'
import type { ValidateFunction } from 'ajv'
import {
  GatewayError,
  isJsonMediaType,
  isObject,
  parseMediaType,
  type MediaType,
  type OpenApiDocument,
  type RequestValidationPolicy,
} from '../../../core/index.js'
import type { SchemaCompiler } from '../schema-compiler.js'
import { describeViolation } from '../schemas.js'
import { SchemaError } from '../schema-walk.js'
import { bodyPropertiesOf } from './body-properties.js'
import { convertScalar, resolvedSchema, scalarOf, type Scalar } from './parameters.js'
import { shownName } from './query.js'

export const MULTIPART_MEDIA_TYPE = 'multipart/form-data'

/** How one part is read: text as a scalar, a file as its bytes, JSON as a value. */
type PartKind = { kind: 'text'; type: Scalar } | { kind: 'file' } | { kind: 'json' }

interface PartShape {
  part: PartKind
  repeated: boolean
  /** `encoding.<name>.contentType`, read: the part's type must match one of these. */
  contentTypes?: string[]
}

export type MultipartBody =
  { parts: Map<string, PartShape>; validate: ValidateFunction } | { unreadable: string }

function partKind(doc: OpenApiDocument, schema: unknown, where: string): PartKind | 'array' {
  const s = resolvedSchema(doc, schema, where)
  const type = scalarOf(doc, schema, where)
  if (type === 'array') return 'array'
  if (type === 'object') return { kind: 'json' }
  const binary =
    s.format === 'binary' ||
    (type === 'string' && s.contentMediaType !== undefined && s.contentEncoding === undefined)
  const untyped31 = s.type === undefined && doc.openapi.startsWith('3.1') === true
  if (binary || untyped31) return { kind: 'file' }
  return { kind: 'text', type }
}

/** The reader of one operation's multipart body; `media` is the OpenAPI media type object. */
export function compileMultipartBody(
  doc: OpenApiDocument,
  media: Record<string, unknown>,
  compile: SchemaCompiler,
  where: string,
): MultipartBody {
  const properties = bodyPropertiesOf(doc, media.schema, where)
  if ('unreadable' in properties) return properties
  const contentTypes = new Map<string, string[]>()
  if (isObject(media.encoding)) {
    for (const [name, encoding] of Object.entries(media.encoding)) {
      if (!isObject(encoding)) continue
      const other = Object.keys(encoding).find((k) => k !== 'contentType' && !k.startsWith('x-'))
      if (other !== undefined) {
        return { unreadable: `part ${name}: encoding ${other} cannot be enforced` }
      }
      if (typeof encoding.contentType === 'string') {
        const list = encoding.contentType.split(',').map((t) => t.trim().toLowerCase())
        if (list.some((t) => parseMediaType(t) === undefined)) {
          throw new SchemaError(where, `part ${name}: encoding contentType is not a media type`)
        }
        contentTypes.set(name, list)
      }
    }
  }
  const parts = new Map<string, PartShape>()
  for (const [name, property] of properties) {
    const at = `${where} part ${name}`
    let part = partKind(doc, property, at)
    let repeated = false
    if (part === 'array') {
      part = partKind(doc, resolvedSchema(doc, property, at).items, at)
      if (part === 'array') return { unreadable: `part ${name} is an array of arrays` }
      repeated = true
    }
    const types = contentTypes.get(name)
    parts.set(name, { part, repeated, ...(types ? { contentTypes: types } : {}) })
  }
  return { parts, validate: compile(media.schema, where, 'request') }
}

function malformed(detail: string): GatewayError {
  return new GatewayError('BODY_MALFORMED', { detail, reason: detail })
}

function violation(detail: string): GatewayError {
  return new GatewayError('BODY_SCHEMA_VIOLATION', { detail, reason: detail })
}

// Any C0 control and DEL: a part name or filename has none.
const NAME_CONTROL = /[\x00-\x1f\x7f]/
// C0 controls but tab, LF and CR (a textarea's line breaks), and DEL: as form fields.
const TEXT_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/
/** RFC 2046 §5.1.1: 1 to 70 bchars, not ending with a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/
const PART_HEADERS = new Set(['content-disposition', 'content-type', 'content-transfer-encoding'])
const TRANSFER_ENCODINGS = new Set(['7bit', '8bit', 'binary'])

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

interface RawPart {
  name: string
  filename: boolean
  media: MediaType | undefined
  bytes: Buffer
}

/** A header value (latin1, one char per byte) as the UTF-8 text its bytes are. */
function headerText(value: string, what: string): string {
  if (NAME_CONTROL.test(value)) throw malformed(`a part ${what} has a control character`)
  if (value.includes('\\')) throw malformed(`a part ${what} has a backslash`)
  try {
    return utf8.decode(Buffer.from(value, 'latin1'))
  } catch {
    throw malformed(`a part ${what} is not UTF-8`)
  }
}

/** One part's header block, as RFC 7578 allows it and no wider. */
function readHeader(header: Record<string, string[]>): Omit<RawPart, 'bytes'> {
  for (const [field, values] of Object.entries(header)) {
    if (!PART_HEADERS.has(field)) throw malformed(`a part has a ${shownName(field)} header`)
    if (values.length !== 1) throw malformed(`a part has more than one ${field} header`)
  }
  const disposition = header['content-disposition']?.[0]
  if (disposition === undefined) throw malformed('a part has no Content-Disposition')
  const type = /^form-data[ \t]*(?=;|$)/i.exec(disposition)
  if (!type) throw malformed('a part is not form-data')
  // The parameters have the grammar of a media type's (RFC 6266 §4.1, RFC 9110 §5.6.6).
  const params = parseMediaType(`x/x${disposition.slice(type[0].length)}`)?.params
  if (!params) throw malformed('a part has an unreadable Content-Disposition')
  for (const key of Object.keys(params)) {
    if (key !== 'name' && key !== 'filename') {
      throw malformed(`a part's Content-Disposition has a ${shownName(key)} parameter`)
    }
  }
  if (params.name === undefined) throw malformed('a part has no name')
  const name = headerText(params.name, 'name')
  if (name === '') throw malformed('a part has no name')
  if (params.filename !== undefined) headerText(params.filename, 'filename')
  const encoding = header['content-transfer-encoding']?.[0]
  if (encoding !== undefined && !TRANSFER_ENCODINGS.has(encoding.trim().toLowerCase())) {
    throw malformed(`a part has Content-Transfer-Encoding ${shownName(encoding)}`)
  }
  const contentType = header['content-type']?.[0]
  const media = contentType === undefined ? undefined : parseMediaType(contentType)
  if (contentType !== undefined && (!media || media.type === '*' || media.subtype === '*')) {
    throw malformed(`part ${shownName(name)} has an unreadable Content-Type`)
  }
  return { name, filename: params.filename !== undefined, media }
}

/** The parts of a multipart body, framed by the library; every ambiguity refused. */
function splitParts(
  body: Uint8Array,
  boundary: string,
  limits: RequestValidationPolicy['query'],
): Promise<RawPart[]> {
  return new Promise((resolve, reject) => {
    const parts: RawPart[] = []
    let pending = 0
    let failed = false
    const fail = (error: GatewayError) => {
      if (failed) return
      failed = true
      reject(error)
    }
    // Header blocks are never cut short: the whole body is within its limit already.
    const dicer = new Dicer({
      boundary,
      maxHeaderPairs: body.length + 1,
      maxHeaderSize: body.length + 1,
    } as Dicer.Config)
    dicer.on('preamble', (stream) => {
      stream.on('error', () => {})
      stream.on('data', () => fail(malformed('the body has bytes before the first boundary')))
    })
    let trailer = ''
    dicer.on('trailer', (data) => {
      trailer += data.toString('latin1')
      if (trailer !== '\r\n') fail(malformed('the body has bytes after the close delimiter'))
    })
    dicer.on('part', (stream) => {
      stream.on('error', () => {})
      if (parts.length + ++pending > limits.maxParameters) {
        fail(malformed(`the form has more than ${limits.maxParameters} parts`))
      }
      let raw: Omit<RawPart, 'bytes'> | undefined
      const chunks: Buffer[] = []
      stream.on('header', (header) => {
        try {
          raw = readHeader(header as Record<string, string[]>)
        } catch (e) {
          fail(e as GatewayError)
        }
        const bytes = raw ? Buffer.byteLength(raw.name) : 0
        if (bytes > limits.maxNameBytes) {
          fail(malformed(`a part name is longer than ${limits.maxNameBytes} bytes`))
        }
      })
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        pending--
        if (raw) parts.push({ ...raw, bytes: Buffer.concat(chunks) })
        else fail(malformed('a part has no header block'))
      })
    })
    dicer.on('error', () => fail(malformed('the body does not end with the close delimiter')))
    dicer.on('finish', () => {
      if (pending > 0) fail(malformed('a part has no header block'))
      else if (!failed) resolve(parts)
    })
    dicer.end(Buffer.from(body.buffer, body.byteOffset, body.length))
  })
}

function matches(list: readonly string[], media: MediaType): boolean {
  return list.some((declared) => {
    const [type, subtype] = parseMediaType(declared)!.essence.split('/')
    return (type === '*' || type === media.type) && (subtype === '*' || subtype === media.subtype)
  })
}

const TEXT_PLAIN = parseMediaType('text/plain')!

/** One part's value as its property declares it; undefined for a file (kept out of the scan). */
function partValue(raw: RawPart, shape: PartShape): { value: unknown; file: boolean } {
  const label = `part ${shownName(raw.name)}`
  const media = raw.media ?? TEXT_PLAIN
  if (shape.contentTypes && !matches(shape.contentTypes, media)) {
    throw violation(`${label} has content type ${media.essence}, not the declared one`)
  }
  const { part } = shape
  if (part.kind === 'file') return { value: raw.bytes.toString('latin1'), file: true }
  if (raw.filename) throw violation(`${label} is a file where text is declared`)
  const charset = media.params.charset?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8') {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', {
      reason: `${label} charset ${charset.slice(0, 32)}`,
    })
  }
  if (!shape.contentTypes) {
    const fits =
      part.kind === 'json' ? isJsonMediaType(media.essence) : media.essence === 'text/plain'
    if (raw.media && !fits) {
      throw violation(`${label} has content type ${media.essence} where text is declared`)
    }
  }
  let text: string
  try {
    text = utf8.decode(raw.bytes)
  } catch {
    throw malformed(`${label} is not UTF-8`)
  }
  if (TEXT_CONTROL.test(text)) throw malformed(`${label} has a control character`)
  if (part.kind === 'json') {
    try {
      return { value: JSON.parse(text) as unknown, file: false }
    } catch {
      throw violation(`${label} is not JSON`)
    }
  }
  const c = convertScalar(text, part.type)
  if ('fault' in c) throw violation(`${label} ${c.fault}`)
  return { value: c.value, file: false }
}

/**
 * Reads and validates a multipart body; returns the object the scan sees: the text and JSON
 * parts, without the files.
 */
export async function readMultipartBody(
  body: Uint8Array,
  media: MediaType,
  form: MultipartBody,
  limits: RequestValidationPolicy['query'],
): Promise<Record<string, unknown>> {
  if ('unreadable' in form) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', {
      reason: `a multipart form the validator cannot read exactly (${form.unreadable}); send another declared media type`,
    })
  }
  const boundary = media.params.boundary
  if (boundary === undefined) throw malformed('the multipart body has no boundary')
  if (!BOUNDARY.test(boundary)) throw malformed('the multipart boundary is not a valid one')
  const parts = await splitParts(body, boundary, limits)
  const byName = new Map<string, RawPart[]>()
  for (const part of parts) {
    const list = byName.get(part.name)
    if (list) list.push(part)
    else byName.set(part.name, [part])
  }
  const checked: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  const scanned: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const [name, raw] of byName) {
    const declared = form.parts.get(name)
    if (declared && !declared.repeated && raw.length > 1) {
      throw violation(`part ${shownName(name)} appears more than once`)
    }
    // Undeclared: a file or text, and the schema decides (additionalProperties), as for forms.
    const shapeOf = (r: RawPart): PartShape =>
      declared ?? {
        part: r.filename ? { kind: 'file' } : { kind: 'text', type: 'any' },
        repeated: raw.length > 1,
      }
    const shape = shapeOf(raw[0]!)
    const values = raw.map((r) => partValue(r, shapeOf(r)))
    checked[name] = shape.repeated ? values.map((v) => v.value) : values[0]!.value
    const text = values.filter((v) => !v.file).map((v) => v.value)
    if (text.length > 0) scanned[name] = shape.repeated ? text : text[0]
  }
  const value = { ...checked }
  if (!form.validate(value)) throw violation(describeViolation(form.validate))
  return { ...scanned }
}
