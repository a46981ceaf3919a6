import { ERROR_TABLE, type ErrorCode } from './table.js'

/**
 * A refusal with a stable code. `detail` is safe to show a client (it names a field or a
 * limit, never a token, key, stack or internal address); `reason` is for the audit trail.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly detail?: string
  readonly reason?: string
  readonly headers?: Record<string, string>

  constructor(
    code: ErrorCode,
    options: { detail?: string; reason?: string; headers?: Record<string, string> } = {},
  ) {
    super(options.reason ?? code)
    this.name = 'GatewayError'
    this.code = code
    this.detail = options.detail
    this.reason = options.reason
    this.headers = options.headers
  }

  get status(): number {
    return ERROR_TABLE[this.code].status
  }
}

/**
 * Not an answer yet: the stage hands its message back to be tried again later. `final` is
 * the answer once no delivery is left (the stage's dead-letter path sends it).
 */
export class RetryLaterError extends Error {
  readonly final: GatewayError

  constructor(final: GatewayError) {
    super(final.reason ?? final.code)
    this.name = 'RetryLaterError'
    this.final = final
  }
}
