import { describe, expect, it } from 'vitest'
import { GatewayError, RetryLaterError } from './gateway-error.js'
import { asGatewayError, failureReason, refusalReason } from './reason.js'
import { SetupError } from './setup.js'

const refused = new GatewayError('BODY_TOO_LARGE', { detail: 'limit 1024', reason: '2048 bytes' })

describe('failureReason', () => {
  it('names a gateway error by its code and reason, or its code alone', () => {
    expect(failureReason(refused)).toBe('BODY_TOO_LARGE: 2048 bytes')
    expect(failureReason(new GatewayError('RATE_LIMITED'))).toBe('RATE_LIMITED')
  })

  it('says a retry-later is one, with the answer it ends in', () => {
    expect(failureReason(new RetryLaterError(refused))).toBe(
      'retry later: BODY_TOO_LARGE: 2048 bytes',
    )
  })

  it('names a setup error by its code and message', () => {
    const e = new SetupError('KEY_MISSING', 'no file keys/jwk/access.jwk')
    expect(failureReason(e)).toBe('KEY_MISSING: no file keys/jwk/access.jwk')
  })

  it("takes any other error's message, and anything thrown as text", () => {
    expect(failureReason(new TypeError('x is not a function'))).toBe('x is not a function')
    expect(failureReason('plain')).toBe('plain')
    expect(failureReason(undefined)).toBe('undefined')
  })
})

describe('refusalReason', () => {
  it("is a refusal's reason, else its detail, else its code", () => {
    expect(refusalReason(refused)).toBe('2048 bytes')
    expect(refusalReason(new GatewayError('HEADER_INVALID', { detail: 'a NUL' }))).toBe('a NUL')
    expect(refusalReason(new GatewayError('RATE_LIMITED'))).toBe('RATE_LIMITED')
  })
})

describe('asGatewayError', () => {
  it('keeps a gateway error as it is', () => {
    expect(asGatewayError(refused)).toBe(refused)
  })

  it("gives a retry-later's final answer", () => {
    expect(asGatewayError(new RetryLaterError(refused))).toBe(refused)
  })

  it('makes a setup error INTERNAL_ERROR, its code kept in the reason and nothing for the client', () => {
    const error = asGatewayError(
      new SetupError('CONFIG_INVALID', 'config bus.nodes: must be 1 or 3'),
    )
    expect(error.code).toBe('INTERNAL_ERROR')
    expect(error.status).toBe(500)
    expect(error.reason).toBe('CONFIG_INVALID: config bus.nodes: must be 1 or 3')
    expect(error.detail).toBeUndefined()
  })

  it('makes anything else INTERNAL_ERROR with its reason', () => {
    const error = asGatewayError(new Error('socket hang up'))
    expect(error).toBeInstanceOf(GatewayError)
    expect(error.code).toBe('INTERNAL_ERROR')
    expect(error.reason).toBe('socket hang up')
    expect(asGatewayError(42).reason).toBe('42')
  })
})
