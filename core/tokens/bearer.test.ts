import { describe, expect, it } from 'vitest'
import { readBearerToken } from './bearer.js'
import { TokenError } from './errors.js'

function codeOf(header: string | null | undefined): string {
  try {
    readBearerToken(header)
    return 'OK'
  } catch (e) {
    return e instanceof TokenError ? e.code : 'other'
  }
}

describe('Authorization header', () => {
  it('reads one bearer token, scheme case-insensitive', () => {
    expect(readBearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi')
    expect(readBearerToken('bearer abc.def-_~+/=')).toBe('abc.def-_~+/=')
  })

  it('AUTH-056 no header or another scheme is TOKEN_MISSING; a bearer value that is not one token is TOKEN_MALFORMED', () => {
    for (const h of [undefined, null, '', 'Basic dXNlcjpwdw==', 'Token abc', 'Bearerabc']) {
      expect(codeOf(h), String(h)).toBe('TOKEN_MISSING')
    }
    for (const h of [
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Bearer a,b',
      'Bearer a\r\nX: y',
      'Bearer "a"',
    ]) {
      expect(codeOf(h), h).toBe('TOKEN_MALFORMED')
    }
  })
})
