/**
 * Reads the raw query into decoded name -> values, refusing what different servers would
 * read differently (QUERY_MALFORMED): invalid percent-encoding, bytes that are not UTF-8,
 * control characters (an encoded NUL), a raw `;` (some frameworks split on it, so a
 * parameter could hide inside another's value), and more parameters or longer names and
 * values than the policy allows. `+` is a space, as in HTML forms. Empty pairs (`a=1&&b=2`)
 * carry nothing and are skipped.
 */
import { GatewayError, type RequestValidationPolicy } from '../../../core/index.js'
import { hasControlCharacter, percentDecode } from './percent.js'

export type QueryPolicy = RequestValidationPolicy['query']

/** Decoded parameter name -> its values in order. A null-prototype map: names are data. */
export type QueryValues = Map<string, string[]>

const encoder = new TextEncoder()

function malformed(detail: string): GatewayError {
  return new GatewayError('QUERY_MALFORMED', { detail, reason: detail })
}

function decode(raw: string, what: string): string {
  const result = percentDecode(raw, true)
  if (!result.ok) {
    throw malformed(
      result.fault === 'bad-utf8'
        ? `a query ${what} decodes to bytes that are not UTF-8`
        : `a query ${what} has an invalid percent-escape`,
    )
  }
  if (hasControlCharacter(result.text)) {
    throw malformed(`a query ${what} has an encoded NUL or control character`)
  }
  return result.text
}

/** Printable for a detail: the name is the client's own text. */
export function shownName(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 64)
}

export function parseQuery(raw: string, policy: QueryPolicy): QueryValues {
  const values: QueryValues = new Map()
  if (raw === '') return values
  if (raw.includes(';')) throw malformed('the query has a raw ";" separator')
  if (raw.includes('#')) throw malformed('the query has a fragment')
  let count = 0
  for (const pair of raw.split('&')) {
    if (pair === '') continue
    if (++count > policy.maxParameters) {
      throw malformed(`the query has more than ${policy.maxParameters} parameters`)
    }
    const eq = pair.indexOf('=')
    const name = decode(eq < 0 ? pair : pair.slice(0, eq), 'name')
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1), 'value')
    if (name === '') throw malformed('a query parameter has no name')
    if (encoder.encode(name).length > policy.maxNameBytes) {
      throw malformed(`a query parameter name is longer than ${policy.maxNameBytes} bytes`)
    }
    if (encoder.encode(value).length > policy.maxValueBytes) {
      throw malformed(
        `query parameter ${shownName(name)} is longer than ${policy.maxValueBytes} bytes`,
      )
    }
    const list = values.get(name)
    if (list) list.push(value)
    else values.set(name, [value])
  }
  return values
}
