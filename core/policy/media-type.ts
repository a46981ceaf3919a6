/**
 * Media types, decided once for the edge and the validators: how a `Content-Type` is read,
 * which of a route's declared content keys covers it, and when a request body's type is
 * refused (415). The rules, in core/policy/README.md:
 *
 * - A media type is `type/subtype *(OWS ";" OWS [name=value])` (RFC 9110 §8.3.1): type,
 *   subtype and parameter names are tokens, compared without case; a value is a token or a
 *   quoted string. Spaces and tabs around `;` are allowed (not around `=`), any other
 *   whitespace or control character is not; a parameter named twice makes the type unreadable.
 * - A request's type is concrete: `*` in it is refused. A declared key may be a range,
 *   `type/*` or `*\/*`; the most specific declared key covers a type (exact, then
 *   `type/*`, then `*\/*`).
 * - Parameters of a declared key are not matched, except `charset`: when both the declared
 *   key and the request name one, they must be the same charset.
 * - A JSON type (`application/json`, `application/*+json`) is read as UTF-8 and nothing
 *   else: a request naming another charset is refused.
 */
import { GatewayError } from '../errors/index.js'

export interface MediaType {
  /** `type/subtype`, lowercase. */
  essence: string
  type: string
  subtype: string
  /** Parameter names lowercase; values as sent (quotes and escapes removed). */
  params: Record<string, string>
}

/** tchar (RFC 9110 §5.6.2), by char code. */
const TCHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1
}

function isToken(s: string, from: number, to: number): boolean {
  if (from >= to) return false
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || TCHAR[c] === 0) return false
  }
  return true
}

const isOws = (c: number) => c === 0x20 || c === 0x09

/** Quoted-string content from `from` (after the quote) to the closing quote at `to - 1`. */
function unquote(s: string, from: number, to: number): string | undefined {
  if (to - from < 1 || s.charCodeAt(to - 1) !== 0x22) return undefined
  let out = ''
  for (let i = from; i < to - 1; i++) {
    let c = s.charCodeAt(i)
    if (c === 0x5c) {
      // quoted-pair: a backslash and one visible character, space or tab.
      i++
      if (i >= to - 1) return undefined
      c = s.charCodeAt(i)
      if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return undefined
    } else if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === 0x22 || c > 0xff) {
      return undefined
    }
    out += s[i]
  }
  return out
}

/** Reads a Content-Type value or a declared content key; undefined when it is not one. */
export function parseMediaType(value: string | null | undefined): MediaType | undefined {
  if (value === undefined || value === null) return undefined
  const n = value.length
  let i = 0
  while (i < n && isOws(value.charCodeAt(i))) i++
  const slash = value.indexOf('/', i)
  if (slash < 0) return undefined
  let end = value.indexOf(';', slash)
  if (end < 0) end = n
  let stop = end
  while (stop > slash && isOws(value.charCodeAt(stop - 1))) stop--
  if (!isToken(value, i, slash) || !isToken(value, slash + 1, stop)) return undefined
  const type = value.slice(i, slash).toLowerCase()
  const subtype = value.slice(slash + 1, stop).toLowerCase()
  const params: Record<string, string> = {}
  while (end < n) {
    // At a `;`: one parameter up to the next `;` outside a quoted string, or none.
    let p = end + 1
    while (p < n && isOws(value.charCodeAt(p))) p++
    if (p >= n) break
    if (value.charCodeAt(p) === 0x3b) {
      end = p
      continue
    }
    const eq = value.indexOf('=', p)
    if (eq < 0) return undefined
    const semi = value.indexOf(';', p)
    if (semi >= 0 && semi < eq) return undefined
    if (!isToken(value, p, eq)) return undefined
    const name = value.slice(p, eq).toLowerCase()
    // `__proto__` is a token, and no parameter of any media type.
    if (Object.hasOwn(params, name) || name === '__proto__') return undefined
    let v: string | undefined
    if (value.charCodeAt(eq + 1) === 0x22) {
      // The closing quote: the first `"` not escaped.
      let q = eq + 2
      while (q < n && value.charCodeAt(q) !== 0x22) q += value.charCodeAt(q) === 0x5c ? 2 : 1
      if (q >= n) return undefined
      v = unquote(value, eq + 2, q + 1)
      end = q + 1
    } else {
      end = value.indexOf(';', eq)
      if (end < 0) end = n
      let vEnd = end
      while (vEnd > eq + 1 && isOws(value.charCodeAt(vEnd - 1))) vEnd--
      v = isToken(value, eq + 1, vEnd) ? value.slice(eq + 1, vEnd) : undefined
      end = vEnd
    }
    if (v === undefined) return undefined
    params[name] = v
    // Only spaces or tabs may follow a value before the next `;`.
    while (end < n && isOws(value.charCodeAt(end))) end++
    if (end < n && value.charCodeAt(end) !== 0x3b) return undefined
  }
  return { essence: `${type}/${subtype}`, type, subtype, params }
}

export function isJsonMediaType(essence: string): boolean {
  return (
    essence === 'application/json' ||
    (essence.startsWith('application/') && essence.endsWith('+json'))
  )
}

/** The one spelling of a charset name for comparison (`UTF8` and `utf-8` are one charset). */
function charsetOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const lower = value.toLowerCase()
  return lower === 'utf8' ? 'utf-8' : lower
}

// Declared keys come from the operator's documents only: parsed once each, remembered.
const declaredCache = new Map<string, MediaType | undefined>()

function declared(key: string): MediaType | undefined {
  if (!declaredCache.has(key)) declaredCache.set(key, parseMediaType(key))
  return declaredCache.get(key)
}

/**
 * Checks a route's declared content keys at compile time: each a media type or range, no
 * `*\/subtype`, no two with the same type. Returns what is wrong, or undefined.
 */
export function declaredMediaTypeProblem(keys: readonly string[]): string | undefined {
  const seen = new Set<string>()
  for (const key of keys) {
    const media = declared(key)
    if (!media) return `content key ${JSON.stringify(key)} is not a media type`
    if (media.type === '*' && media.subtype !== '*') {
      return `content key ${JSON.stringify(key)} is not a media range`
    }
    if (seen.has(media.essence)) return `content key ${media.essence} is declared twice`
    seen.add(media.essence)
  }
  return undefined
}

/**
 * The declared key that covers `essence` (exact, then `type/*`, then `*\/*`), as declared;
 * undefined when none does.
 */
export function matchMediaType(keys: Iterable<string>, essence: string): string | undefined {
  const type = essence.slice(0, essence.indexOf('/'))
  let range: string | undefined
  let any: string | undefined
  for (const key of keys) {
    const d = declared(key)
    if (!d) continue
    if (d.essence === essence) return key
    if (d.subtype === '*' && d.type === type) range ??= key
    if (d.essence === '*/*') any ??= key
  }
  return range ?? any
}

export interface BodyMediaType {
  /** The declared content key that covers the body, as declared (lowercase). */
  key: string
  media: MediaType
  json: boolean
}

function unsupported(reason: string): GatewayError {
  return new GatewayError('UNSUPPORTED_MEDIA_TYPE', { reason })
}

/**
 * The media type of a request that has a body, against the route's declared content keys:
 * 415 UNSUPPORTED_MEDIA_TYPE for a route that takes no body, a body without a type, a type
 * that cannot be read or is a range, one the route does not declare, a charset the declared
 * key excludes, and JSON in a charset other than UTF-8.
 */
export function checkBodyMediaType(
  keys: readonly string[],
  contentType: string | null | undefined,
): BodyMediaType {
  if (keys.length === 0) throw unsupported('the route takes no request body')
  if (contentType === undefined || contentType === null) {
    throw unsupported('a body without a content type')
  }
  const media = parseMediaType(contentType)
  if (!media) throw unsupported('content type unreadable')
  if (media.type === '*' || media.subtype === '*') throw unsupported('content type is a range')
  const key = matchMediaType(keys, media.essence)
  if (key === undefined) throw unsupported('content type not declared by the route')
  const sent = charsetOf(media.params.charset)
  const wanted = charsetOf(declared(key)?.params.charset)
  if (sent !== undefined && wanted !== undefined && sent !== wanted) {
    throw unsupported(`charset ${sent.slice(0, 32)} is not the declared ${wanted.slice(0, 32)}`)
  }
  const json = isJsonMediaType(media.essence)
  if (json && sent !== undefined && sent !== 'utf-8') {
    throw unsupported(`charset ${sent.slice(0, 32)}`)
  }
  return { key, media, json }
}
