/**
 * The request validator's verdict on one dirty request: envelope shape, the relay's stamps
 * and the certified edge, deadline, then the request contract (`createRequestChecks` in
 * validators/lib: port policy, route, actor, headers, path, query, body, injection). Pure:
 * no I/O, the clock is passed in. A forward goes to creq with the operation stamped; a
 * reject goes to cresp as an error response and never reaches creq.
 */
import {
  encodeRequest,
  encodeResponse,
  GatewayError,
  hasExpired,
  refusalReason,
  subjects,
  type ErrorCode,
  type RequestEnvelope,
  type WireMessage,
  type BusMessage,
} from '../../core/index.js'
import {
  createRequestChecks,
  readFiledRequest,
  rejection,
  type RequestCheckOptions,
} from '../lib/index.js'

export type RequestValidatorOptions = RequestCheckOptions

export type RequestVerdict =
  | {
      kind: 'forward'
      subject: string
      wire: WireMessage
      requestId: string
      operation: string
      /** The request as validated, for the audit trail. */
      request: RequestEnvelope
      actor?: string
    }
  | {
      kind: 'reject'
      subject: string
      wire: WireMessage
      requestId: string
      code: ErrorCode
      reason: string
      request: RequestEnvelope
    }
  | { kind: 'drop'; reason: string; requestId?: string }

export type RequestValidator = (msg: BusMessage, now: number) => Promise<RequestVerdict>

export function createRequestValidator(options: RequestValidatorOptions): RequestValidator {
  const checks = createRequestChecks(options)
  return async (msg, now) => {
    // The caller is the edge the subject names: only the relay publishes on the dreq bus, and
    // it takes the edge id from the link subject the edge's own grant pins.
    const read = readFiledRequest(msg)
    if ('kind' in read) return read
    const { env, headerFault, filed } = read
    const { requestId } = env
    if (hasExpired(env, now)) return { kind: 'drop', reason: 'deadline passed', requestId }

    const reject = (error: GatewayError): RequestVerdict => ({
      kind: 'reject',
      subject: subjects.cleanResponse('request-validator', env.host),
      wire: encodeResponse(rejection(env, error)),
      requestId,
      code: error.code,
      reason: refusalReason(error),
      request: env,
    })
    try {
      if (headerFault !== undefined) {
        throw new GatewayError('HEADER_INVALID', headerFault)
      }
      // The relay files each request under the host it names; the edge matched already.
      if (msg.subject !== subjects.dirtyRequest(filed.edgeId, env.host)) {
        throw new GatewayError('ENVELOPE_INVALID', {
          reason: `subject ${msg.subject} does not match the envelope`,
        })
      }
      const { actor } = await checks(env)
      return {
        kind: 'forward',
        subject: subjects.cleanRequest(env.host),
        wire: encodeRequest(env),
        requestId,
        operation: env.operation!,
        request: env,
        ...(actor === undefined ? {} : { actor }),
      }
    } catch (e) {
      if (e instanceof GatewayError) return reject(e)
      throw e
    }
  }
}
