import { describe, expect, it } from 'vitest'
import { SetupError } from '../core/index.js'
import { createLogger, setupFailureFields } from '../runtime/index.js'
import { StartError, startFailureOf } from './processes.js'

/** The `start-failed` line a stage writes for `e`, as runMain writes it. */
function startFailedLine(e: unknown): string {
  let line = ''
  createLogger('info', (l) => (line = l)).error('start-failed', {
    component: 'request-validator',
    ...setupFailureFields(e),
  })
  return line
}

describe("a stage's start-failed line, read back by portcullis up", () => {
  it('gives the code, reason and action of a setup error', () => {
    const e = new SetupError('POLICY_INVALID', 'openapi demo: code=KEY_MISSING is not it', {
      key: 'upstreams.demo.openapi',
      file: '/srv/api/openapi.yaml',
    })
    expect(startFailureOf(startFailedLine(e))).toEqual({
      code: 'POLICY_INVALID',
      reason: e.message,
      action: e.action,
    })
  })

  it('gives nothing for a failure without a code, or for any other line', () => {
    expect(startFailureOf(startFailedLine(new Error('boom')))).toBeUndefined()
    expect(startFailureOf('info ready code=CONFIG_INVALID')).toBeUndefined()
    expect(startFailureOf('error start-failed code=NOT_A_CODE reason=x')).toBeUndefined()
  })

  it("keeps a setup error's code, key and action when it becomes a component's StartError", () => {
    const cause = new SetupError('KEY_MISSING', 'no creds', { key: 'paths.keys', file: '/k/c' })
    const e = StartError.of('nats-creq', cause, 'BUS_START_FAILED')
    expect(e).toMatchObject({ code: 'KEY_MISSING', key: 'paths.keys', file: '/k/c' })
    expect(e.message).toBe('nats-creq: no creds')
    expect(StartError.of('nats-creq', new Error('bind'), 'BUS_START_FAILED').code).toBe(
      'BUS_START_FAILED',
    )
  })
})
