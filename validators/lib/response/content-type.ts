/**
 * A response body must be what its one `Content-Type` says, and that type must be declared
 * for the status: JSON is read strictly, so that the value judged is the only reading of the
 * bytes sent (UTF-8 without a byte order mark, no other charset, no duplicate key, no lone
 * surrogate escape, no number a double cannot hold, nothing after the value, no deeper than
 * the policy allows: the request side's one-pass reader, json-limits.ts); text decodes in its
 * charset; a few binary types start with their magic number. Pure: the caller turns a
 * failure into its refusal.
 */
import { GatewayError, headerValue, type HeaderList } from '../../../core/index.js'
import { isJsonMediaType, matchMediaType, parseMediaType, type MediaType } from '../media.js'
import { checkJsonText, type JsonRules } from '../request/json-limits.js'

export type ContentCheck<T> = ({ ok: true } & T) | { ok: false; reason: string }

export type BodyContent =
  { kind: 'json'; value: unknown } | { kind: 'text'; text: string } | { kind: 'bytes' }

/** The response's media type and the declared content key that covers it. */
export function declaredMediaType(
  headers: HeaderList,
  declared: Iterable<string>,
): ContentCheck<{ key: string; media: MediaType }> {
  const values = headers.filter(([name]) => name === 'content-type')
  if (values.length === 0) return { ok: false, reason: 'a body without a content type' }
  if (values.length > 1) return { ok: false, reason: 'more than one content type' }
  const media = parseMediaType(headerValue(headers, 'content-type'))
  if (!media) return { ok: false, reason: 'content type is not a media type' }
  const key = matchMediaType(declared, media.essence)
  if (key === undefined) return { ok: false, reason: 'content type not declared for the status' }
  return { ok: true, key, media }
}

const TEXT_TYPES = new Set([
  'application/xml',
  'application/javascript',
  'application/ecmascript',
  'application/x-www-form-urlencoded',
  'application/yaml',
  'application/x-yaml',
  'application/graphql',
])

export function isTextMediaType(essence: string): boolean {
  return essence.startsWith('text/') || essence.endsWith('+xml') || TEXT_TYPES.has(essence)
}

/** The first bytes each of these types must start with. */
const MAGIC: Record<string, number[][]> = {
  'image/png': [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  'image/jpeg': [[0xff, 0xd8, 0xff]],
  'image/gif': [
    [0x47, 0x49, 0x46, 0x38, 0x37, 0x61],
    [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
  ],
  'application/pdf': [[0x25, 0x50, 0x44, 0x46, 0x2d]],
  'application/zip': [[0x50, 0x4b, 0x03, 0x04]],
  'application/gzip': [[0x1f, 0x8b]],
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
// Keeps a byte order mark in the text, where the JSON reader refuses it: a client parser that
// does not skip it reads nothing, one that does reads what the scan never saw as the start.
const utf8KeepBom = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const latin1 = new TextDecoder('latin1')
const NO_KEYS: ReadonlySet<string> = new Set()

/** The JSON reader's rules for a response: only the depth is a policy; the rest is exactness. */
function responseJsonRules(maxDepth: number): JsonRules {
  return {
    maxDepth,
    maxStringLength: Number.MAX_SAFE_INTEGER,
    maxArrayLength: Number.MAX_SAFE_INTEGER,
    maxObjectKeys: Number.MAX_SAFE_INTEGER,
    forbiddenKeys: NO_KEYS,
  }
}
const rulesByDepth = new Map<number, JsonRules>()

/**
 * Reads a JSON body so that the value is the only one the bytes can mean: the one-pass reader
 * of the request side refuses what `JSON.parse` would silently resolve one way and another
 * parser another way (a duplicate key, where the last wins here and the first elsewhere; a lone
 * surrogate; an integer beyond 2^53 or a number beyond a double, which the client's parser may
 * keep exactly while the schema judged the rounded one; a byte order mark), then parses.
 */
export function readJsonExactly(
  body: Uint8Array,
  maxDepth: number,
): ContentCheck<{ value: unknown }> {
  let text: string
  try {
    text = utf8KeepBom.decode(body)
  } catch {
    return { ok: false, reason: 'body is not valid UTF-8' }
  }
  let rules = rulesByDepth.get(maxDepth)
  if (!rules) rulesByDepth.set(maxDepth, (rules = responseJsonRules(maxDepth)))
  try {
    checkJsonText(text, rules)
  } catch (e) {
    if (e instanceof GatewayError) {
      const why = e.reason ?? 'invalid JSON'
      return {
        ok: false,
        reason: why.startsWith('nesting deeper') ? `body nests deeper than ${maxDepth}` : why,
      }
    }
    throw e
  }
  return { ok: true, value: JSON.parse(text) as unknown }
}

/** The body read as its media type says, or why it is not that. */
export function readResponseBody(
  body: Uint8Array,
  media: MediaType,
  limits: { maxJsonDepth: number },
): ContentCheck<{ content: BodyContent }> {
  const charset = media.params.charset?.toLowerCase()
  if (isJsonMediaType(media.essence)) {
    if (charset !== undefined && charset !== 'utf-8') {
      return { ok: false, reason: `JSON in charset ${printable(charset)}` }
    }
    const parsed = readJsonExactly(body, limits.maxJsonDepth)
    if (!parsed.ok) return parsed
    return { ok: true, content: { kind: 'json', value: parsed.value } }
  }
  if (isTextMediaType(media.essence)) {
    if (charset === undefined || charset === 'utf-8' || charset === 'us-ascii') {
      try {
        const text = utf8.decode(body)
        if (charset === 'us-ascii' && /[^\x00-\x7f]/.test(text)) {
          return { ok: false, reason: 'body is not US-ASCII' }
        }
        return { ok: true, content: { kind: 'text', text } }
      } catch {
        return { ok: false, reason: 'body is not valid UTF-8' }
      }
    }
    if (charset === 'iso-8859-1' || charset === 'latin1') {
      return { ok: true, content: { kind: 'text', text: latin1.decode(body) } }
    }
    return { ok: false, reason: `text in charset ${printable(charset)}` }
  }
  const magic = MAGIC[media.essence]
  if (magic && !magic.some((m) => m.every((byte, i) => body[i] === byte))) {
    return { ok: false, reason: `body is not ${media.essence}` }
  }
  return { ok: true, content: { kind: 'bytes' } }
}

/**
 * The body as text for the leak scan, whatever its type says: UTF-8 when it is, else one
 * character per byte, so that no byte escapes the scan by being undecodable.
 */
export function scanTextOf(body: Uint8Array): string {
  try {
    return utf8.decode(body)
  } catch {
    return latin1.decode(body)
  }
}

/** The response headers with `X-Content-Type-Options: nosniff`, whatever the upstream sent. */
export function withNosniff(headers: HeaderList): HeaderList {
  return [
    ...headers.filter(([name]) => name !== 'x-content-type-options'),
    ['x-content-type-options', 'nosniff'],
  ]
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)
}
