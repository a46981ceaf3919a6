import { describe, expect, it } from 'vitest'
import { DEFAULT_REQUEST_VALIDATION, GatewayError, type HeaderList } from '../../../core/index.js'
import {
  checkIdempotencyKey,
  checkRequestHeaders,
  DEFAULT_ALLOWED_HEADERS,
  headerAllowList,
} from './headers.js'

const policy = DEFAULT_REQUEST_VALIDATION.headers
const allowed = headerAllowList([...DEFAULT_ALLOWED_HEADERS, 'x-trace'])

function refusal(list: HeaderList, p = policy, bodyLength = 0) {
  try {
    checkRequestHeaders(list, bodyLength, allowed, p)
    return undefined
  } catch (e) {
    const { code, detail } = e as GatewayError
    return { code, detail }
  }
}

describe('checkRequestHeaders', () => {
  it('passes the safe set, prefixes and added names unchanged', () => {
    const list: HeaderList = [
      ['accept', 'application/json'],
      ['sec-ch-ua-platform', '"Linux"'],
      ['x-trace', 'abc'],
      ['user-agent', 'a\tb'],
    ]
    expect(checkRequestHeaders(list, 0, allowed, policy)).toBe(list)
  })

  it('refuses CR, LF and other control characters in a value (header injection)', () => {
    expect(refusal([['x-trace', 'a\r\nSet-Cookie: x=1']])).toEqual({
      code: 'HEADER_INVALID',
      detail: 'header x-trace has a CR or LF',
    })
    expect(refusal([['x-trace', 'a\nb']])?.detail).toBe('header x-trace has a CR or LF')
    expect(refusal([['x-trace', 'a\u0000b']])?.detail).toBe(
      'header x-trace has a control character',
    )
    expect(refusal([['x-trace', 'caf\u00e9']])?.detail).toBe('header x-trace has a non-ASCII byte')
    expect(refusal([['x-trace', 'caf\u00e9']], { ...policy, allowNonAscii: true })).toBeUndefined()
    expect(refusal([['X-Trace', '1']])?.detail).toBe('a header name is not a lowercase token')
  })

  it('refuses smuggling signs: duplicates, CL with TE, a CL that is not the body length', () => {
    expect(refusal([['content-length', '3']], policy, 3)).toBeUndefined()
    expect(refusal([['content-length', '4']], policy, 3)?.detail).toBe(
      'content-length does not match the body',
    )
    expect(
      refusal(
        [
          ['content-length', '3'],
          ['transfer-encoding', 'chunked'],
        ],
        policy,
        3,
      )?.detail,
    ).toBe('both content-length and transfer-encoding')
    expect(
      refusal([
        ['x-trace', '1'],
        ['x-trace', '2'],
      ])?.detail,
    ).toBe('header x-trace appears more than once')
  })

  it('refuses hop-by-hop, connection-named and internal headers even when allowed', () => {
    const all = headerAllowList(['*'])
    for (const name of ['connection', 'te', 'upgrade', 'proxy-x', 'portcullis-actor']) {
      expect(() => checkRequestHeaders([[name, '1']], 0, all, policy)).toThrow(
        expect.objectContaining({ code: 'HEADER_NOT_ALLOWED' }),
      )
    }
  })

  it('refuses a header outside the allow-list, or drops it when the policy says so', () => {
    expect(refusal([['x-other', '1']])).toEqual({
      code: 'HEADER_NOT_ALLOWED',
      detail: 'header x-other is not allowed',
    })
    const list: HeaderList = [
      ['accept', '*/*'],
      ['x-other', '1'],
      ['x-trace', '2'],
    ]
    expect(checkRequestHeaders(list, 0, allowed, { ...policy, unknown: 'drop' })).toEqual([
      ['accept', '*/*'],
      ['x-trace', '2'],
    ])
  })

  it('takes its sizes from the policy', () => {
    const tight = { ...policy, maxCount: 1, maxValueBytes: 3, maxTotalBytes: 12, maxNameBytes: 6 }
    expect(
      refusal(
        [
          ['accept', '1'],
          ['dnt', '1'],
        ],
        tight,
      )?.detail,
    ).toBe('more than 1 headers')
    expect(refusal([['accept', 'abcd']], tight)?.detail).toBe(
      'header accept is longer than 3 bytes',
    )
    expect(refusal([['x-trace', '1']], tight)?.detail).toBe('a header name is longer than 6 bytes')
    expect(refusal([['accept', 'abc']], { ...tight, maxTotalBytes: 8 })?.detail).toBe(
      'the headers are longer than 8 bytes together',
    )
  })

  it('HEADER-103 a single-value header whose value is a list (workerd joins repeats with a comma) is refused', () => {
    for (const [name, value] of [
      ['content-type', 'application/json, text/plain'],
      ['user-agent', 'curl/8.0, evil/1.0'],
      ['if-modified-since', 'Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT'],
      ['origin', 'https://a.example, https://b.example'],
      ['sec-fetch-site', 'same-origin, cross-site'],
    ] as const) {
      expect(refusal([[name, value]]), name).toEqual({
        code: 'HEADER_INVALID',
        detail: `header ${name} must have one value`,
      })
    }
    // The same value twice is still two values.
    expect(refusal([['content-length', '3, 3']], policy, 3)?.code).toBe('HEADER_INVALID')
    // Commas the grammar allows, and lists, pass.
    expect(refusal([['content-type', 'multipart/form-data; boundary="a,b"']])).toBeUndefined()
    expect(refusal([['user-agent', 'Mozilla/5.0 (KHTML, like Gecko)']])).toBeUndefined()
    expect(refusal([['if-modified-since', 'Sun, 06 Nov 1994 08:49:37 GMT']])).toBeUndefined()
    expect(refusal([['accept-language', 'en-GB, en;q=0.9']])).toBeUndefined()
  })
})

describe('Idempotency-Key', () => {
  it('passes one quoted key on every route, with the unknown-header policy refuse or drop', () => {
    const list: HeaderList = [['idempotency-key', '"8e03978e-40d5-43e8-bc93-6894a57f9324"']]
    expect(checkRequestHeaders(list, 0, headerAllowList([]), policy)).toBe(list)
    const drop = { ...policy, unknown: 'drop' as const }
    expect(checkRequestHeaders(list, 0, headerAllowList([]), drop)).toEqual(list)
  })

  it('IDEM-040 refuses an Idempotency-Key that is not one quoted key of 1..255 visible characters (400 IDEMPOTENCY_KEY_INVALID)', () => {
    for (const value of ['k1', '""', `"${'k'.repeat(256)}"`, '"a b"', '"a\\"b"', '"a", "b"']) {
      expect(refusal([['idempotency-key', value]])?.code).toBe(
        value.includes(',') ? 'HEADER_INVALID' : 'IDEMPOTENCY_KEY_INVALID',
      )
    }
    expect(refusal([['idempotency-key', `"${'k'.repeat(255)}"`]])).toBeUndefined()
  })

  it('IDEM-041 refuses a key on a write without a verified caller: keys are scoped per caller', () => {
    const list: HeaderList = [['idempotency-key', '"k1"']]
    expect(() => checkIdempotencyKey(list, 'POST', undefined)).toThrow(
      expect.objectContaining({ code: 'IDEMPOTENCY_KEY_INVALID' }),
    )
    expect(() => checkIdempotencyKey(list, 'POST', 'alice')).not.toThrow()
    expect(() => checkIdempotencyKey(list, 'GET', undefined)).not.toThrow()
    expect(() => checkIdempotencyKey([], 'POST', undefined)).not.toThrow()
  })
})
