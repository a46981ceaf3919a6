import { describe, expect, it } from 'vitest'
import { errors } from '@nats-io/nats-core'
import { GatewayError } from '../../core/index.js'
import { failure, unwrap } from './outcome.js'

describe('link outcome', () => {
  it('LINK-201 a request timeout is GATEWAY_TIMEOUT', () => {
    expect(failure(new errors.TimeoutError()).code).toBe('GATEWAY_TIMEOUT')
  })

  it('LINK-202 no responders, closed, refused or unauthorized connections are BUS_UNAVAILABLE', () => {
    const noResponders = new errors.RequestError('no responders', {
      cause: new errors.NoRespondersError('pc.link.req.local'),
    })
    for (const e of [
      noResponders,
      new errors.ClosedConnectionError(),
      new errors.ConnectionError('connection refused'),
      new errors.AuthorizationError('Authorization Violation'),
      new errors.PermissionViolationError('Permissions Violation', 'publish', 'pc.link.req.other'),
      new Error('socket hang up'),
    ]) {
      expect(failure(e).code).toBe('BUS_UNAVAILABLE')
    }
  })

  it('LINK-203 a GatewayError keeps its code (an undecodable answer is ENVELOPE_INVALID)', () => {
    const e = new GatewayError('ENVELOPE_INVALID', { reason: 'envelope: bad host' })
    expect(failure(e)).toEqual({
      ok: false,
      code: 'ENVELOPE_INVALID',
      reason: 'envelope: bad host',
    })
  })

  it('LINK-204 unwrap returns the response or throws the code as a GatewayError', () => {
    expect(() => unwrap({ ok: false, code: 'BUS_UNAVAILABLE', reason: 'x' })).toThrow(GatewayError)
    try {
      unwrap({ ok: false, code: 'GATEWAY_TIMEOUT', reason: 'x' })
    } catch (e) {
      expect((e as GatewayError).code).toBe('GATEWAY_TIMEOUT')
    }
  })
})
