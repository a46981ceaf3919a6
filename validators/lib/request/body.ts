/**
 * The request body against the route: its media type must be one the operation declares
 * (UNSUPPORTED_MEDIA_TYPE); a JSON body must be UTF-8 (a declared charset too), within the
 * JSON rules (json-limits.ts), and valid against the operation's schema
 * (BODY_SCHEMA_VIOLATION). Bodies of other declared media types pass as bytes.
 */
import { GatewayError, headerValue, type HeaderList } from '../../../core/index.js'
import { isJsonMediaType, matchMediaType, parseMediaType } from '../media.js'
import { describeViolation, type OperationSchemas } from '../schemas.js'
import { checkJsonText, type JsonRules } from './json-limits.js'

export type BodyCheck = { json: false } | { json: true; value: unknown }

// `ignoreBOM` keeps a byte order mark in the text, where the JSON reader refuses it: a sender
// must not add one (RFC 8259), and a parser that skips it reads what one that does not cannot.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function checkRequestBody(
  headers: HeaderList,
  body: Uint8Array,
  op: OperationSchemas,
  required: boolean,
  rules: JsonRules,
): BodyCheck {
  if (body.length === 0) {
    if (required) {
      throw new GatewayError('BODY_MALFORMED', {
        detail: 'a request body is required',
        reason: 'empty body',
      })
    }
    return { json: false }
  }
  if (op.request.size === 0) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', { reason: 'the route takes no body' })
  }
  const media = parseMediaType(headerValue(headers, 'content-type'))
  const key = media && matchMediaType(op.request.keys(), media.essence)
  if (!media || key === undefined) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', {
      reason: 'content type not declared for the route',
    })
  }
  if (!isJsonMediaType(media.essence)) return { json: false }
  const charset = media.params.charset?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', { reason: `charset ${charset.slice(0, 32)}` })
  }
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    const detail = 'body is not valid UTF-8'
    throw new GatewayError('BODY_MALFORMED', { detail, reason: detail })
  }
  checkJsonText(text, rules)
  const value: unknown = JSON.parse(text)
  const validate = op.request.get(key)
  if (validate && !validate(value)) {
    const detail = describeViolation(validate)
    throw new GatewayError('BODY_SCHEMA_VIOLATION', { detail, reason: detail })
  }
  return { json: true, value }
}
