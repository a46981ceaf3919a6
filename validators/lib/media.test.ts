import { describe, expect, it } from 'vitest'
import { isJsonMediaType, matchMediaType, parseJson, parseMediaType } from './media.js'

describe('media types', () => {
  it('parses a content type with parameters', () => {
    expect(parseMediaType('Application/JSON; charset="UTF-8"')).toMatchObject({
      essence: 'application/json',
      type: 'application',
      subtype: 'json',
      params: { charset: 'UTF-8' },
    })
    expect(parseMediaType('text/plain; a=1; A=2')).toBeUndefined()
    expect(parseMediaType('text/plain; a="x\\"y"')?.params.a).toBe('x"y')
    expect(parseMediaType('json')).toBeUndefined()
    expect(parseMediaType('a/b/c')).toBeUndefined()
    expect(parseMediaType('text/plain; broken')).toBeUndefined()
  })

  it('matches exact types before ranges', () => {
    expect(matchMediaType(['text/*', 'text/plain'], 'text/plain')).toBe('text/plain')
    expect(matchMediaType(['text/*'], 'text/csv')).toBe('text/*')
    expect(matchMediaType(['*/*'], 'image/png')).toBe('*/*')
    expect(matchMediaType(['application/json'], 'text/plain')).toBeUndefined()
  })

  it('knows JSON and its structured suffix', () => {
    expect(isJsonMediaType('application/json')).toBe(true)
    expect(isJsonMediaType('application/problem+json')).toBe(true)
    expect(isJsonMediaType('text/json')).toBe(false)
  })

  it('BODY-201 refuses invalid UTF-8 instead of replacing it', () => {
    expect(parseJson(new Uint8Array([0x22, 0xff, 0x22]))).toEqual({
      ok: false,
      reason: 'body is not valid UTF-8',
    })
    expect(parseJson(new TextEncoder().encode('{"a":'))).toEqual({
      ok: false,
      reason: 'body is not valid JSON',
    })
    expect(parseJson(new TextEncoder().encode('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } })
  })
})
