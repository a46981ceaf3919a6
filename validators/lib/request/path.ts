/**
 * The path's canonical form (RFC 3986 section 6), checked on the raw path the edge received
 * before any upstream decodes it: one spelling per resource, so a route's rules cannot be
 * walked around by another spelling of the same path. Refused, as PATH_NOT_CANONICAL:
 * characters outside RFC 3986, invalid or double percent-encoding, encoded unreserved
 * characters, dot segments plain or encoded (also after `;` parameters and Unicode
 * compatibility folding), empty segments, backslashes, encoded slashes, encoded NUL and
 * other controls, and bytes that are not UTF-8 (overlong `%C0%AE`).
 */
import { GatewayError, type RequestValidationPolicy } from '../../../core/index.js'
import { hasControlCharacter, isDoubleEncoded, percentDecode } from './percent.js'

export type PathPolicy = RequestValidationPolicy['path']

/** pchar of RFC 3986 plus `/`: unreserved, sub-delims, `:`, `@` and `%` escapes. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/
/** Percent-escapes of unreserved characters: RFC 3986 says never to encode them. */
const ENCODED_UNRESERVED = /%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[Dd]|2[Ee]|5[Ff]|7[Ee])/
/** Slashes, backslashes and dots as Unicode compatibility folding (NFKC) can produce them. */
const FOLDS_TO_SEPARATOR = /[/\\]/

function refuse(detail: string): GatewayError {
  return new GatewayError('PATH_NOT_CANONICAL', { detail, reason: detail })
}

function isDotSegment(segment: string): boolean {
  // `..;x` is `..` to servers that strip matrix parameters (Tomcat, Spring).
  const bare = segment.split(';')[0]!
  return bare === '.' || bare === '..'
}

/**
 * Checks the whole path; returns its segments decoded (the root `/` has none). A path
 * parameter's value is its decoded segment.
 */
export function checkCanonicalPath(path: string, policy: PathPolicy): string[] {
  if (!path.startsWith('/')) throw refuse('the path must start with /')
  if (!PATH_CHARS.test(path)) {
    throw refuse(
      path.includes('\\')
        ? 'the path has a backslash'
        : 'the path has a character outside RFC 3986',
    )
  }
  if (path === '/') return []
  const raw = path.slice(1).split('/')
  if (raw.length > policy.maxSegments) {
    throw refuse(`the path has more than ${policy.maxSegments} segments`)
  }
  const decoded: string[] = []
  for (const segment of raw) {
    if (segment === '') throw refuse('the path has an empty segment')
    if (segment.length > policy.maxSegmentBytes) {
      throw refuse(`a path segment is longer than ${policy.maxSegmentBytes} bytes`)
    }
    if (isDotSegment(segment)) throw refuse('the path has a dot segment')
    if (isDoubleEncoded(segment)) throw refuse('the path is percent-encoded twice')
    const result = percentDecode(segment)
    if (!result.ok) {
      throw refuse(
        result.fault === 'bad-utf8'
          ? 'the path decodes to bytes that are not UTF-8'
          : 'the path has an invalid percent-escape',
      )
    }
    const text = result.text
    // `..%2F` is a dot segment to an upstream that decodes the slash.
    if (text.split('/').some(isDotSegment)) throw refuse('the path has an encoded dot segment')
    if (hasControlCharacter(text)) throw refuse('the path has an encoded NUL or control character')
    if (text.includes('\\')) throw refuse('the path has an encoded backslash')
    if (text.includes('/') && !policy.allowEncodedSlash) {
      throw refuse('the path has an encoded slash')
    }
    if (ENCODED_UNRESERVED.test(segment)) {
      throw refuse('the path percent-encodes a character that needs no encoding')
    }
    if (text !== segment) {
      const folded = text.normalize('NFKC')
      if (
        folded.split('/').some(isDotSegment) ||
        (folded !== text && FOLDS_TO_SEPARATOR.test(folded))
      ) {
        throw refuse('the path has a character that folds to a dot segment or a separator')
      }
    }
    decoded.push(text)
  }
  return decoded
}
