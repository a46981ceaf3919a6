import { describe, expect, it } from 'vitest'
import { isHopByHop } from './headers.js'
import {
  isSingleFieldValue,
  parseIdempotencyKey,
  singleValueFault,
  SINGLE_VALUE_HEADERS,
} from './header-values.js'

describe('single-value header fields', () => {
  it('HEADER-101 two values of a single-value field joined by workerd (a, b) are refused for every field in the table', () => {
    const one: Record<string, string> = {
      'access-control-request-method': 'PUT',
      authorization: 'Bearer abc.def.ghi',
      'content-length': '12',
      'content-location': 'https://api.example/orders/1',
      'content-type': 'application/json',
      date: 'Sun, 06 Nov 1994 08:49:37 GMT',
      dnt: '1',
      host: 'api.example:8443',
      'idempotency-key': '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
      'if-modified-since': 'Sun, 06 Nov 1994 08:49:37 GMT',
      'if-range': '"v1"',
      'if-unmodified-since': 'Sunday, 06-Nov-94 08:49:37 GMT',
      'max-forwards': '3',
      origin: 'https://app.example',
      'proxy-authorization': 'Basic eDp5',
      referer: 'https://app.example/a,b?x=1,2',
      'sec-fetch-dest': 'empty',
      'sec-fetch-mode': 'cors',
      'sec-fetch-site': 'same-origin',
      'sec-fetch-user': '?1',
      'sec-gpc': '1',
      'upgrade-insecure-requests': '1',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)',
    }
    expect(Object.keys(one).sort()).toEqual([...SINGLE_VALUE_HEADERS.keys()].sort())
    for (const [name, value] of Object.entries(one)) {
      expect(isSingleFieldValue(name, value), name).toBe(true)
      expect(isSingleFieldValue(name, `${value}, ${value}`), name).toBe(false)
      expect(singleValueFault([[name, `${value}, ${value}`]]), name).toEqual({
        name,
        why: 'a list',
      })
      expect(
        singleValueFault([
          [name, value],
          [name, value],
        ]),
        name,
      ).toEqual({
        name,
        why: 'repeated',
      })
    }
  })

  it('HEADER-102 a forged list inside one line is refused where the grammar allows no comma', () => {
    const lists: Array<[string, string]> = [
      ['content-type', 'application/json,text/plain'],
      ['content-type', 'text/plain; charset=utf-8,application/json'],
      ['content-type', 'application/json; x="unclosed,'],
      ['content-length', '5,5'],
      ['host', 'api.example,internal'],
      ['authorization', 'Bearer a,Bearer b'],
      ['authorization', 'Bearer a, b'],
      ['if-modified-since', 'Sun, 06 Nov 1994 08:49:37 GMT,Mon, 07 Nov 1994 08:49:37 GMT'],
      ['if-modified-since', '06 Nov 1994, 08:49:37 GMT'],
      ['if-range', '"v1","v2"'],
      ['user-agent', 'curl/8.0,evil/1.0'],
      ['user-agent', 'a (unclosed, comment'],
      ['origin', 'https://a.example https://b.example'],
      ['referer', 'https://a.example/ x'],
      ['sec-fetch-site', 'same-origin,cross-site'],
    ]
    for (const [name, value] of lists) {
      expect(isSingleFieldValue(name, value), `${name}: ${value}`).toBe(false)
    }
  })

  it('commas the grammars allow inside one value pass', () => {
    const singles: Array<[string, string]> = [
      ['content-type', 'multipart/form-data; boundary="a,b"'],
      ['content-type', 'application/json; x="q\\",r"'],
      ['authorization', 'Digest username="a,b", realm="r", nonce="n"'],
      ['authorization', 'Basic eDp5'],
      ['if-range', 'Sun, 06 Nov 1994 08:49:37 GMT'],
      ['if-range', 'W/"a,b"'],
      ['if-modified-since', 'Sun Nov  6 08:49:37 1994'],
      ['user-agent', 'x (a, (nested, b) \\) c)'],
      ['user-agent', 'x (a "quote, in a comment) y/1'],
      ['referer', 'https://app.example/p?a=1,2'],
      ['accept', 'a, b'],
      ['x-custom', 'a, b'],
    ]
    for (const [name, value] of singles) {
      expect(isSingleFieldValue(name, value), `${name}: ${value}`).toBe(true)
    }
    expect(
      singleValueFault([
        ['accept', 'a'],
        ['accept', 'b'],
      ]),
    ).toBeUndefined()
  })

  it('HTTP2-Settings is hop-by-hop', () => {
    expect(isHopByHop('http2-settings')).toBe(true)
  })
})

describe('parseIdempotencyKey', () => {
  it('reads one sf-string of 1..255 visible characters, without escapes or spaces', () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    )
    expect(parseIdempotencyKey(`"${'k'.repeat(255)}"`)).toHaveLength(255)
    for (const bad of [
      '',
      'k',
      '""',
      '"k',
      'k"',
      `"${'k'.repeat(256)}"`,
      '"a b"',
      '"a\\"b"',
      '"a\\\\b"',
      '"a\tb"',
      '"caf\u00e9"',
      '"a","b"',
      ' "k"',
    ]) {
      expect(parseIdempotencyKey(bad)).toBeUndefined()
    }
  })
})
