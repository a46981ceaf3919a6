/**
 * The request body against the route: its media type must be one the operation declares
 * (UNSUPPORTED_MEDIA_TYPE); a JSON body must be UTF-8 (a declared charset too), within the
 * JSON rules (json-limits.ts), and valid against the operation's schema
 * (BODY_SCHEMA_VIOLATION). A form body (`application/x-www-form-urlencoded`) with a schema is
 * read field by field and checked the same way (form-body.ts), and so is a multipart body
 * (`multipart/form-data`) with a schema, part by part (multipart-body.ts): its parser is
 * asynchronous, so the request contract reads bodies with `readRequestBody`. Bodies of other
 * declared media types, and of a declared type without a schema, pass as bytes.
 */
import {
  checkBodyMediaType,
  type BodyMediaType,
  DEFAULT_REQUEST_VALIDATION,
  GatewayError,
  headerValue,
  type HeaderList,
  type RequestValidationPolicy,
} from '../../../core/index.js'
import { validateWithSpellings } from '../integer-spelling.js'
import { describeViolation, type OperationSchemas } from '../schemas.js'
import { checkJsonText, type JsonRules } from './json-limits.js'
import { FORM_MEDIA_TYPE, readFormBody } from './form-body.js'
import { MULTIPART_MEDIA_TYPE, readMultipartBody, type MultipartBody } from './multipart-body.js'

export type BodyCheck = { json: false } | { json: true; value: unknown }

// `ignoreBOM` keeps a byte order mark in the text, where the JSON reader refuses it: a sender
// must not add one (RFC 8259), and a parser that skips it reads what one that does not cannot.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The request body step, multipart bodies included (the request contract's). */
export async function readRequestBody(
  headers: HeaderList,
  body: Uint8Array,
  op: OperationSchemas,
  required: boolean,
  rules: JsonRules,
  formLimits: RequestValidationPolicy['query'] = DEFAULT_REQUEST_VALIDATION.query,
): Promise<BodyCheck> {
  const checked = checkBody(headers, body, op, required, rules, formLimits)
  if (!('multipart' in checked)) return checked
  const { multipart, media } = checked.multipart
  return { json: true, value: await readMultipartBody(body, media, multipart, formLimits) }
}

/**
 * The request body step for JSON and form bodies. A multipart body with a schema needs
 * `readRequestBody`: here it is refused (INTERNAL_ERROR), never passed unread.
 */
export function checkRequestBody(
  headers: HeaderList,
  body: Uint8Array,
  op: OperationSchemas,
  required: boolean,
  rules: JsonRules,
  formLimits: RequestValidationPolicy['query'] = DEFAULT_REQUEST_VALIDATION.query,
): BodyCheck {
  const checked = checkBody(headers, body, op, required, rules, formLimits)
  if ('multipart' in checked) {
    throw new GatewayError('INTERNAL_ERROR', { reason: 'a multipart body read synchronously' })
  }
  return checked
}

type Checked =
  BodyCheck | { multipart: { multipart: MultipartBody; media: BodyMediaType['media'] } }

function checkBody(
  headers: HeaderList,
  body: Uint8Array,
  op: OperationSchemas,
  required: boolean,
  rules: JsonRules,
  formLimits: RequestValidationPolicy['query'],
): Checked {
  if (body.length === 0) {
    if (required) {
      throw new GatewayError('BODY_MALFORMED', {
        detail: 'a request body is required',
        reason: 'empty body',
      })
    }
    return { json: false }
  }
  // The media type rule is core's, the edge's too (core/policy/media-type.ts).
  const { key, json, media } = checkBodyMediaType(
    [...op.request.keys()],
    headerValue(headers, 'content-type'),
  )
  const multipart = media.essence === MULTIPART_MEDIA_TYPE ? op.multiparts.get(key) : undefined
  if (multipart) return { multipart: { multipart, media } }
  const form = media.essence === FORM_MEDIA_TYPE ? op.forms.get(key) : undefined
  if (!json && !form) return { json: false }
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    const detail = 'body is not valid UTF-8'
    throw new GatewayError('BODY_MALFORMED', { detail, reason: detail })
  }
  if (form) {
    const charset = media.params.charset?.toLowerCase()
    if (charset !== undefined && charset !== 'utf-8') {
      throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', {
        reason: `form charset ${charset.slice(0, 32)}`,
      })
    }
    return { json: true, value: readFormBody(text, form, formLimits) }
  }
  const spelled = checkJsonText(text, rules)
  const value: unknown = JSON.parse(text)
  const validate = op.request.get(key)
  const strict = rules.integerSpelling !== 'lenient'
  if (validate && !validateWithSpellings(validate, value, strict ? spelled : undefined)) {
    const detail = describeViolation(validate)
    throw new GatewayError('BODY_SCHEMA_VIOLATION', { detail, reason: detail })
  }
  return { json: true, value }
}
