/**
 * Request header fields that RFC 9110 (and the specifications it points to) define as one
 * value, not a comma-separated list, with the grammar of that value. A recipient must not
 * combine two of them into one, yet workerd's `Headers` joins every repeated field with
 * `, `, so the edge never sees two lines; and two upstream parsers disagree about which of
 * two values counts (the first, the last, or the whole joined text). So a single-value field
 * whose value holds a comma where its grammar allows none is a repeat or a forged list, and
 * every stage refuses it (HEADER_INVALID); a repeated line is refused wherever a stage can
 * still see one. Names are lowercase; list fields (`accept`, `cache-control`, `if-none-match`,
 * ...) are absent on purpose.
 */

/** Where a comma may appear in a single value, by grammar. */
type Grammar =
  /** Nowhere (`1*DIGIT`, `uri-host [":" port]`, a token, a structured-field item). */
  | 'plain'
  /** Only inside a quoted-string (`media-type` parameters, `entity-tag`, `sf-string`). */
  | 'quoted'
  /** HTTP-date: the one comma after the day name of IMF-fixdate and rfc850-date. */
  | 'date'
  /** `entity-tag / HTTP-date` (If-Range). */
  | 'tag-or-date'
  /** `product *( RWS ( product / comment ) )`: only inside a comment or a quoted-string. */
  | 'product'
  /** A URI reference or a serialised origin: no whitespace at all, so never `, `. */
  | 'uri'
  /** `credentials`: after the scheme, auth-params (`name=value`) only, never a second scheme. */
  | 'credentials'

export const SINGLE_VALUE_HEADERS: ReadonlyMap<string, Grammar> = new Map<string, Grammar>([
  ['access-control-request-method', 'plain'],
  ['authorization', 'credentials'],
  ['content-length', 'plain'],
  ['content-location', 'uri'],
  ['content-type', 'quoted'],
  ['date', 'date'],
  ['dnt', 'plain'],
  ['host', 'plain'],
  ['idempotency-key', 'quoted'],
  ['if-modified-since', 'date'],
  ['if-range', 'tag-or-date'],
  ['if-unmodified-since', 'date'],
  ['max-forwards', 'plain'],
  ['origin', 'uri'],
  ['proxy-authorization', 'credentials'],
  ['referer', 'uri'],
  ['sec-fetch-dest', 'plain'],
  ['sec-fetch-mode', 'plain'],
  ['sec-fetch-site', 'plain'],
  ['sec-fetch-user', 'plain'],
  ['sec-gpc', 'plain'],
  ['upgrade-insecure-requests', 'plain'],
  ['user-agent', 'product'],
])

/** IMF-fixdate's day-name and rfc850-date's day-name-l: what may stand before the comma. */
const DAY_NAMES = new Set(
  ['Mon', 'Tues', 'Wednes', 'Thurs', 'Fri', 'Satur', 'Sun'].flatMap((d) => [
    d.slice(0, 3),
    `${d}day`,
  ]),
)
const TCHAR = "!#$%&'*+-.^_`|~"

function isTchar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    TCHAR.includes(String.fromCharCode(c))
  )
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09
}

/** `OWS token BWS "="`: how an auth-param starts. */
function isAuthParam(element: string): boolean {
  let i = 0
  while (isSpace(element.charCodeAt(i))) i++
  const start = i
  while (i < element.length && isTchar(element.charCodeAt(i))) i++
  if (i === start) return false
  while (isSpace(element.charCodeAt(i))) i++
  return element.charCodeAt(i) === 0x3d
}

function hasWhitespace(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) <= 0x20) return true
  return false
}

/**
 * The positions of the commas outside quoted-strings (and, when `comments`, outside
 * parenthesised comments); -1 in the first slot when a quote or a comment is not closed.
 */
function bareCommas(value: string, comments: boolean): number[] {
  const at: number[] = []
  let quoted = false
  let depth = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (quoted) {
      if (c === 0x5c) i++
      else if (c === 0x22) quoted = false
    } else if (depth > 0) {
      // Inside a comment: ctext (a quote too), a quoted-pair, or a nested comment.
      if (c === 0x5c) i++
      else if (c === 0x28) depth++
      else if (c === 0x29) depth--
    } else if (c === 0x22) quoted = true
    else if (comments && c === 0x28) depth = 1
    else if (c === 0x2c) at.push(i)
  }
  return quoted || depth > 0 ? [-1] : at
}

function isDate(value: string): boolean {
  const first = value.indexOf(',')
  if (first < 0) return true
  if (value.indexOf(',', first + 1) >= 0) return false
  const day = value.slice(0, first).trim()
  return DAY_NAMES.has(day)
}

function isCredentials(value: string): boolean {
  const commas = bareCommas(value, false)
  if (commas[0] === -1) return false
  for (let k = 0; k < commas.length; k++) {
    const element = value.slice(commas[k]! + 1, commas[k + 1])
    if (!isAuthParam(element)) return false
  }
  return true
}

/**
 * Whether `value` can be one value of the single-value field `name` (lowercase); true for
 * any value of a field not in the table. Only the comma structure is judged here: the
 * stage that uses a field checks the rest of its syntax.
 */
export function isSingleFieldValue(name: string, value: string): boolean {
  const grammar = SINGLE_VALUE_HEADERS.get(name)
  if (grammar === undefined) return true
  if (grammar === 'uri') return !hasWhitespace(value)
  if (value.indexOf(',') < 0) return true
  switch (grammar) {
    case 'plain':
      return false
    case 'quoted':
      return bareCommas(value, false).length === 0
    case 'date':
      return isDate(value)
    case 'tag-or-date': {
      const v = value.trimStart()
      return v.startsWith('"') || v.startsWith('W/"')
        ? bareCommas(value, false).length === 0
        : isDate(value)
    }
    case 'product':
      return bareCommas(value, true).length === 0
    case 'credentials':
      return isCredentials(value)
  }
}

/**
 * The first single-value field of `list` that is repeated or whose value is a list, with
 * why; undefined when there is none. Lines of other fields may repeat here (the caller
 * decides).
 */
export function singleValueFault(
  list: Iterable<readonly [string, string]>,
): { name: string; why: 'repeated' | 'a list' } | undefined {
  let seen: Set<string> | undefined
  for (const [name, value] of list) {
    if (!SINGLE_VALUE_HEADERS.has(name)) continue
    if (seen?.has(name)) return { name, why: 'repeated' }
    ;(seen ??= new Set()).add(name)
    if (!isSingleFieldValue(name, value)) return { name, why: 'a list' }
  }
  return undefined
}

/** The client's `Idempotency-Key` (IETF httpapi draft "The Idempotency-Key HTTP Header Field"). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key'
/** Characters of the key inside its quotes. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255

/**
 * What a client is told of an `Idempotency-Key` the gateway refuses: the key is not one, or it
 * rides a write without a verified caller to scope it to (a shared anonymous scope would let
 * clients behind one address replay each other's answers). The edge and the request
 * validator refuse with the same words.
 */
export const IDEMPOTENCY_KEY_REFUSALS = {
  'not a key': 'Idempotency-Key must be one quoted key of 1 to 255 visible characters',
  anonymous: 'Idempotency-Key needs a verified caller (a bearer token) to be scoped to',
} as const

/**
 * The key of an `Idempotency-Key` value, or undefined when the value is not one: an sf-string
 * (`"8e03978e-40d5-43e8-bc93-6894a57f9324"`) of 1..255 visible ASCII characters, without the
 * escapes (`\"`, `\\`) and the space an sf-string may hold, so the key is the bytes between the
 * quotes and two spellings of one key cannot exist. Checked the same way at the edge and by the
 * request validator; a loop, no pattern.
 */
export function parseIdempotencyKey(value: string): string | undefined {
  const n = value.length
  if (n < 3 || n > MAX_IDEMPOTENCY_KEY_LENGTH + 2) return undefined
  if (value.charCodeAt(0) !== 0x22 || value.charCodeAt(n - 1) !== 0x22) return undefined
  for (let i = 1; i < n - 1; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x5c) return undefined
  }
  return value.slice(1, -1)
}
