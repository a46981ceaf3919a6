import { describe, expect, it } from 'vitest'
import { DEFAULT_REQUEST_VALIDATION, GatewayError } from '../../../core/index.js'
import { parseQuery } from './query.js'

const policy = DEFAULT_REQUEST_VALIDATION.query

function detailOf(raw: string, p = policy): string | undefined {
  try {
    parseQuery(raw, p)
    return undefined
  } catch (e) {
    expect((e as GatewayError).code).toBe('QUERY_MALFORMED')
    return (e as GatewayError).detail
  }
}

describe('parseQuery', () => {
  it('decodes names and values, + as a space, repeated names in order, empty pairs skipped', () => {
    const q = parseQuery('q=caf%C3%A9+cr%C3%A8me&tag=a&&tag=b&flag', policy)
    expect([...q]).toEqual([
      ['q', ['café crème']],
      ['tag', ['a', 'b']],
      ['flag', ['']],
    ])
    expect(parseQuery('', policy).size).toBe(0)
  })

  it('keeps names that look like object keys as plain data', () => {
    const q = parseQuery('__proto__=1&constructor=2', policy)
    expect(q.get('__proto__')).toEqual(['1'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses what servers read differently, naming the fault', () => {
    expect(detailOf('a=%')).toBe('a query value has an invalid percent-escape')
    expect(detailOf('%zz=1')).toBe('a query name has an invalid percent-escape')
    expect(detailOf('a=%ff')).toBe('a query value decodes to bytes that are not UTF-8')
    expect(detailOf('a=%00')).toBe('a query value has an encoded NUL or control character')
    expect(detailOf('a=1;b=2')).toBe('the query has a raw ";" separator')
    expect(detailOf('=1')).toBe('a query parameter has no name')
  })

  it('takes its limits from the policy', () => {
    const tight = { maxParameters: 2, maxNameBytes: 3, maxValueBytes: 4 }
    expect(detailOf('a=1&b=2&c=3', tight)).toBe('the query has more than 2 parameters')
    expect(detailOf('abcd=1', tight)).toBe('a query parameter name is longer than 3 bytes')
    // Bytes, not characters: é is two.
    expect(detailOf('a=%C3%A9%C3%A9x', tight)).toBe('query parameter a is longer than 4 bytes')
    expect(detailOf('a=%C3%A9%C3%A9', tight)).toBeUndefined()
  })
})
