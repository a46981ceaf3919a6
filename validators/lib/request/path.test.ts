import { describe, expect, it } from 'vitest'
import { DEFAULT_REQUEST_VALIDATION, GatewayError } from '../../../core/index.js'
import { checkCanonicalPath } from './path.js'

const policy = DEFAULT_REQUEST_VALIDATION.path

function refusal(path: string, p = policy): string | undefined {
  try {
    checkCanonicalPath(path, p)
    return undefined
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError)
    expect((e as GatewayError).code).toBe('PATH_NOT_CANONICAL')
    return (e as GatewayError).detail
  }
}

describe('checkCanonicalPath', () => {
  it('returns the decoded segments of a canonical path', () => {
    expect(checkCanonicalPath('/', policy)).toEqual([])
    expect(checkCanonicalPath('/orders/12', policy)).toEqual(['orders', '12'])
    expect(checkCanonicalPath("/a/b~c/d-e_f.g/h:i@j!$&'()*+,;=", policy)).toHaveLength(4)
    expect(checkCanonicalPath('/files/caf%C3%A9%20cr%C3%A8me', policy)).toEqual([
      'files',
      'café crème',
    ])
  })

  it('names what is wrong, never echoing the path', () => {
    expect(refusal('/a/../b')).toBe('the path has a dot segment')
    expect(refusal('/a/%2e%2E')).toBe('the path has an encoded dot segment')
    expect(refusal('/a/%252e')).toBe('the path is percent-encoded twice')
    expect(refusal('/a/%c0%ae')).toBe('the path decodes to bytes that are not UTF-8')
    expect(refusal('/a/%g0')).toBe('the path has an invalid percent-escape')
    expect(refusal('/a/x%00')).toBe('the path has an encoded NUL or control character')
    expect(refusal('/a\\b')).toBe('the path has a backslash')
    expect(refusal('/a/%5c')).toBe('the path has an encoded backslash')
    expect(refusal('/a/%2f')).toBe('the path has an encoded slash')
    expect(refusal('/a/%41')).toBe('the path percent-encodes a character that needs no encoding')
    expect(refusal('/a//b')).toBe('the path has an empty segment')
    expect(refusal('/a/')).toBe('the path has an empty segment')
    expect(refusal('a/b')).toBe('the path must start with /')
    expect(refusal('/a/"b"')).toBe('the path has a character outside RFC 3986')
    expect(refusal('/a/%ef%bc%8e%ef%bc%8e')).toBe(
      'the path has a character that folds to a dot segment or a separator',
    )
  })

  it('takes its limits and the encoded-slash option from the policy', () => {
    const tight = { ...policy, maxSegments: 2, maxSegmentBytes: 4 }
    expect(refusal('/a/b/c', tight)).toBe('the path has more than 2 segments')
    expect(refusal('/abcde', tight)).toBe('a path segment is longer than 4 bytes')
    expect(checkCanonicalPath('/a/x%2Fy', { ...policy, allowEncodedSlash: true })).toEqual([
      'a',
      'x/y',
    ])
    // Never a dot segment or a backslash, whatever the option.
    expect(refusal('/a/..%2F', { ...policy, allowEncodedSlash: true })).toBe(
      'the path has an encoded dot segment',
    )
    expect(refusal('/a/%5C', { ...policy, allowEncodedSlash: true })).toBe(
      'the path has an encoded backslash',
    )
  })
})
