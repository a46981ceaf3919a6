/**
 * The backend connector of the `single-validation` topology: it validates. One dirty request
 * (dreq, its host's only) goes through the request contract, the upstream, then the
 * response contract, and one clean response comes out for cresp, as `backend`. The
 * contracts are the validator library's (`createRequestChecks`, `checkResponse`): the same
 * code, and so the same verdicts, as the two validator processes of the other topologies.
 * Pure but for the upstream call and the redelivery memory, which are handed in.
 */
import {
  encodeResponse,
  errorResponse,
  GatewayError,
  hasExpired,
  refusalReason,
  subjects,
  type BusMessage,
  type ErrorCode,
  type LenientRequest,
  type RequestEnvelope,
  type ResponseEnvelope,
  type WireMessage,
} from '../core/index.js'
import {
  checkResponse,
  createRequestChecks,
  readFiledRequest,
  rejection,
  type RequestCheckOptions,
  type ResponseContract,
} from '../validators/lib/index.js'
import { stampResponseHeaders } from './headers.js'
import type { ConnectorParts } from './parts.js'
import { guardedCall } from './idempotency.js'
import { toUpstreamRequest } from './request.js'

/** What one stage of the three decided, for the audit trail. */
export interface StepVerdict {
  verdict: 'accept' | 'reject' | 'error'
  code?: ErrorCode
  reason?: string
  status?: number
  actor?: string
}

/** The three verdicts of one request: validation, the upstream, the response contract. */
export interface ValidatedAnswer {
  response: ResponseEnvelope
  request: StepVerdict
  upstream?: StepVerdict
  contract?: StepVerdict
}

export interface ValidatingBackendOptions extends ConnectorParts<ValidatedAnswer> {
  requestContract: RequestCheckOptions
  responseContract: ResponseContract
}

export type ValidatingVerdict =
  | {
      kind: 'publish'
      subject: string
      wire: WireMessage
      requestId: string
      request: RequestEnvelope
      answer: ValidatedAnswer
      /** The answer was produced for an earlier delivery; nothing was called again. */
      reused: boolean
    }
  | { kind: 'drop'; reason: string; requestId?: string }

export type ValidatingBackend = (msg: BusMessage, now: number) => Promise<ValidatingVerdict>

export function createValidatingBackend(options: ValidatingBackendOptions): ValidatingBackend {
  const { host } = options
  const checks = createRequestChecks(options.requestContract)
  const subject = subjects.cleanResponse('backend', host)

  /** 1. The request contract: the request validator's checks, nothing of a refusal goes on. */
  const requestContract = async (
    env: RequestEnvelope,
    headerFault: LenientRequest['headerFault'],
    subjectEdge: string,
  ): Promise<{ verdict: StepVerdict; refusal?: ResponseEnvelope }> => {
    try {
      if (headerFault !== undefined) throw new GatewayError('HEADER_INVALID', headerFault)
      if (subjectEdge !== env.edgeId) {
        throw new GatewayError('ENVELOPE_INVALID', {
          reason: 'subject does not match the envelope',
        })
      }
      const { actor } = await checks(env)
      return { verdict: { verdict: 'accept', ...(actor === undefined ? {} : { actor }) } }
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e
      return {
        verdict: { verdict: 'reject', code: e.code, reason: refusalReason(e), status: e.status },
        refusal: rejection(env, e),
      }
    }
  }

  /** 2. The upstream call: what the backend connector does, as a dirty response. */
  const upstreamCall = async (
    env: RequestEnvelope,
    now: number,
  ): Promise<{ verdict: StepVerdict; dirty: ResponseEnvelope }> => {
    try {
      const sent = toUpstreamRequest(env, options.upstream, now)
      const result = await guardedCall(options.idempotency, env, sent, now, options.call)
      const headers = stampResponseHeaders(sent, result.headers)
      return {
        verdict: { verdict: 'accept', status: result.status },
        dirty: { request: env, status: result.status, headers, body: result.body },
      }
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e
      return {
        verdict: { verdict: 'error', code: e.code, reason: refusalReason(e), status: e.status },
        dirty: errorResponse(env, new GatewayError(e.code)),
      }
    }
  }

  /** 3. The response contract: the response validator's checks on what came back. */
  const responseContract = (
    dirty: ResponseEnvelope,
  ): { verdict: StepVerdict; out: ResponseEnvelope } => {
    try {
      const { out, dropped } = checkResponse(dirty, options.responseContract)
      const verdict: StepVerdict = { verdict: 'accept', status: out.status }
      if (out.error) verdict.code = out.error
      if (dropped.length) verdict.reason = `dropped undeclared members: ${dropped.join(' ')}`
      return { verdict, out }
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e
      return {
        verdict: { verdict: 'reject', code: e.code, reason: refusalReason(e), status: e.status },
        out: errorResponse(dirty.request, e),
      }
    }
  }

  /** The three composed: a refused request never reaches the upstream. */
  const produce = async (
    env: RequestEnvelope,
    headerFault: LenientRequest['headerFault'],
    subjectEdge: string,
    now: number,
  ): Promise<ValidatedAnswer> => {
    const request = await requestContract(env, headerFault, subjectEdge)
    if (request.refusal) return { response: request.refusal, request: request.verdict }
    const upstream = await upstreamCall(env, now)
    const contract = responseContract(upstream.dirty)
    return {
      response: contract.out,
      request: request.verdict,
      upstream: upstream.verdict,
      contract: contract.verdict,
    }
  }

  return async (msg, now) => {
    // Only this host's requests reach this connector's consumer; one naming another host
    // is dropped, never answered: its client is no business of this connector.
    const read = readFiledRequest(msg, host)
    if ('kind' in read) return read
    const { env, headerFault, filed } = read
    const { requestId } = env
    if (options.memory.isDelivered(requestId, now)) {
      return { kind: 'drop', reason: 'answer already on cresp', requestId }
    }
    if (hasExpired(env, now)) return { kind: 'drop', reason: 'deadline passed', requestId }
    const { value, reused } = await options.memory.run(requestId, now, () =>
      produce(env, headerFault, filed.edgeId, now),
    )
    return {
      kind: 'publish',
      subject,
      wire: encodeResponse(value.response),
      requestId,
      request: env,
      answer: value,
      reused,
    }
  }
}
