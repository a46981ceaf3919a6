import { describe, expect, it } from 'vitest'
import { DEFAULT_RESPONSE_VALIDATION, type OpenApiDocument } from '../../../core/index.js'
import { compileResponseRules } from './rules.js'

function doc(extensions: Record<string, unknown>): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: { '/a': { get: { operationId: 'getA', ...extensions, responses: { '200': {} } } } },
    components: { schemas: { A: { type: 'object', properties: { b: { type: 'string' } } } } },
  }
}

describe('compileResponseRules', () => {
  it('takes the policy from the route, else from the config', () => {
    const route = compileResponseRules('h', doc({ 'x-portcullis-undeclared-fields': 'drop' }))
    expect(route.operations.get('getA')!.undeclaredFields).toBe('drop')
    const config = compileResponseRules('h', doc({}), {
      ...DEFAULT_RESPONSE_VALIDATION,
      undeclaredFields: 'drop',
    })
    expect(config.operations.get('getA')!.undeclaredFields).toBe('drop')
    expect(compileResponseRules('h', doc({})).operations.get('getA')!.undeclaredFields).toBe(
      'refuse',
    )
  })

  it('narrows the scanners by the allow lists, and never lets a cookie scanner look for tokens', () => {
    const rules = compileResponseRules('h', doc({ 'x-portcullis-allow-leaks': ['token/jwt'] }))
    const op = rules.operations.get('getA')!
    expect(op.scanner.signatures).not.toContain('token/jwt')
    expect(op.scanner.signatures).toContain('token/bearer')
    expect(op.cookieScanner.signatures.some((s) => s.startsWith('token/'))).toBe(false)
  })

  it('resolves component references the way the schema walk writes them', () => {
    const rules = compileResponseRules('h', doc({}))
    expect(rules.resolve('urn:portcullis:h:components#/$defs/A')).toMatchObject({
      type: 'object',
    })
    expect(rules.resolve('urn:portcullis:h:components#/$defs/A/properties/b')).toEqual({
      type: 'string',
    })
    expect(rules.resolve('urn:portcullis:h:components#/$defs/Nope')).toBeUndefined()
    expect(rules.resolve('https://example.com/s.json')).toBeUndefined()
  })

  it.each([
    [{ 'x-portcullis-undeclared-fields': 'ignore' }, /GET \/a: x-portcullis-undeclared-fields/],
    [{ 'x-portcullis-allow-leaks': 'token' }, /GET \/a: x-portcullis-allow-leaks/],
    [{ 'x-portcullis-allow-leaks': ['tokens'] }, /GET \/a: x-portcullis-allow-leaks/],
  ])('refuses to start on a bad extension, naming the operation: %j', (ext, message) => {
    expect(() => compileResponseRules('h', doc(ext))).toThrow(message)
  })

  it('refuses to start on an unknown leak name in the config, naming the key', () => {
    expect(() =>
      compileResponseRules('h', doc({}), { ...DEFAULT_RESPONSE_VALIDATION, allowLeaks: ['tokn'] }),
    ).toThrow(/validation\.response\.allowLeaks: unknown leak signature tokn/)
  })
})
