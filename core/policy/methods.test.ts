import { describe, expect, it } from 'vitest'
import { METHODS } from '../envelope/index.js'
import { isWriteMethod } from './methods.js'

describe('isWriteMethod', () => {
  it('is every carried method but the safe ones (RFC 9110 9.2.1)', () => {
    expect(METHODS.filter(isWriteMethod)).toEqual(['POST', 'PUT', 'PATCH', 'DELETE'])
  })
})
