/**
 * The backend connector of the `single-validation` topology: it validates. One dirty request
 * (NATS-1, its host's only) goes through the request contract, the upstream, then the
 * response contract, and one clean response comes out for NATS-4, as `backend`. The
 * contracts are the validator library's (`createRequestChecks`, `checkResponse`): the same
 * code, and so the same verdicts, as the two validator processes of the other topologies.
 * Pure but for the upstream call and the redelivery memory, which are handed in.
 */
import {
  encodeResponse,
  errorResponse,
  GatewayError,
  hasExpired,
  parseDirtyRequest,
  subjects,
  failureReason,
  type BusMessage,
  type ErrorCode,
  type RequestEnvelope,
  type ResponseEnvelope,
  type WireMessage,
} from '../core/index.js'
import {
  checkResponse,
  createRequestChecks,
  decodeDirtyRequest,
  rejection,
  type DirtyRequest,
  type RequestCheckOptions,
  type ResponseContract,
} from '../validators/lib/index.js'
import { stampResponseHeaders } from './headers.js'
import type { OnceMemory } from './once.js'
import { toUpstreamRequest, type UpstreamRequest } from './request.js'
import type { UpstreamResult } from './upstream.js'

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

export interface ValidatingBackendOptions {
  host: string
  upstream: { baseUrl: string; timeoutMs: number }
  call(req: UpstreamRequest): Promise<UpstreamResult>
  memory: OnceMemory<ValidatedAnswer>
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

const reasonOf = (e: GatewayError) => e.reason ?? e.detail ?? e.code

export function createValidatingBackend(options: ValidatingBackendOptions): ValidatingBackend {
  const { host } = options
  const checks = createRequestChecks(options.requestContract)
  const subject = subjects.cleanResponse('backend', host)

  const produce = async (
    env: RequestEnvelope,
    headerFault: DirtyRequest['headerFault'],
    subjectEdge: string,
    now: number,
  ): Promise<ValidatedAnswer> => {
    let actor: string | undefined
    try {
      if (headerFault !== undefined) throw new GatewayError('HEADER_INVALID', headerFault)
      if (subjectEdge !== env.edgeId) {
        throw new GatewayError('ENVELOPE_INVALID', {
          reason: 'subject does not match the envelope',
        })
      }
      ;({ actor } = await checks(env))
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e
      // Refused: the upstream is never called, and nothing of the request goes further.
      return {
        response: rejection(env, e),
        request: { verdict: 'reject', code: e.code, reason: reasonOf(e), status: e.status },
      }
    }
    const request: StepVerdict = { verdict: 'accept', ...(actor === undefined ? {} : { actor }) }
    let upstream: StepVerdict
    let dirty: ResponseEnvelope
    try {
      const sent = toUpstreamRequest(env, options.upstream, now)
      const result = await options.call(sent)
      const headers = stampResponseHeaders(sent, result.headers)
      dirty = { request: env, status: result.status, headers, body: result.body }
      upstream = { verdict: 'accept', status: result.status }
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e
      dirty = errorResponse(env, new GatewayError(e.code))
      upstream = { verdict: 'error', code: e.code, reason: reasonOf(e), status: e.status }
    }
    try {
      const { out, dropped } = checkResponse(dirty, options.responseContract)
      const contract: StepVerdict = { verdict: 'accept', status: out.status }
      if (out.error) contract.code = out.error
      if (dropped.length) contract.reason = `dropped undeclared members: ${dropped.join(' ')}`
      return { response: out, request, upstream, contract }
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e
      return {
        response: errorResponse(env, e),
        request,
        upstream,
        contract: { verdict: 'reject', code: e.code, reason: reasonOf(e), status: e.status },
      }
    }
  }

  return async (msg, now) => {
    let env: RequestEnvelope
    let headerFault: DirtyRequest['headerFault']
    try {
      ;({ env, headerFault } = decodeDirtyRequest(msg))
    } catch (e) {
      return { kind: 'drop', reason: failureReason(e) }
    }
    const { requestId } = env
    if (!env.edgeId || !env.replyTo) {
      return { kind: 'drop', reason: 'envelope has no edge or reply stamp', requestId }
    }
    // Only this host's requests reach this connector's consumer; one naming another host
    // is dropped, never answered: its client is no business of this connector.
    const filed = parseDirtyRequest(msg.subject)
    if (!filed || filed.host !== host || env.host !== host) {
      return {
        kind: 'drop',
        reason: `request for host ${env.host} filed under ${msg.subject}`,
        requestId,
      }
    }
    // An envelope naming another edge than its subject carries that edge's reply inbox.
    if (filed.edgeId !== env.edgeId) {
      return {
        kind: 'drop',
        reason: `envelope names edge ${env.edgeId}, its subject edge ${filed.edgeId}`,
        requestId,
      }
    }
    if (options.memory.isDelivered(requestId, now)) {
      return { kind: 'drop', reason: 'answer already on NATS-4', requestId }
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
