/**
 * The relay at work: link requests in -> dreq; cresp clean responses in -> link replies.
 * Connects as `relay` to the link server, dreq and cresp; `runStage` does the wiring.
 * Replicas share the link requests through a queue group and cresp through the durable
 * consumer.
 */
import type { Msg } from '@nats-io/nats-core'
import { asGatewayError, GatewayError, subjects, type RequestContext } from '../../core/index.js'
import type { AuditRecord } from '../../bus/audit.js'
import type { LoadedConfig } from '../../config/index.js'
import { runStage, type Send, type StageResult } from '../../bus/runner.js'
import type { Logger, Running } from '../../runtime/index.js'
import {
  createRelay,
  type LinkVerdict,
  type RelayHandler,
  type ResponseVerdict,
} from './handler.js'
import { IntakeLedger } from './intake-ledger.js'
import { relayMetrics } from './metrics.js'

export const COMPONENT = 'relay'
export const QUEUE = 'relay'
/** The reason an intake event recorded by the answering relay carries. */
export const INTAKE_RECORDED_AT_ANSWER =
  'recorded at the answer: the relay that took the request in was another process'
/** Longest the relay waits for dreq's ack of a link request (and half its time left). */
export const RELAY_PUBLISH_TIMEOUT_MS = 5_000
/** Link requests in work at once; beyond this the relay answers BUS_UNAVAILABLE at once. */
export const MAX_IN_FLIGHT = 4_096

export interface RelayRunOptions {
  concurrency?: number
}

/** A link request's verdict as the runner sends, audits and logs it. */
export function linkResultOf(relay: RelayHandler, verdict: LinkVerdict, now: number): StageResult {
  if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
  const event = { step: 'request', stage: COMPONENT, startedAt: now } as const
  if (verdict.kind === 'answer') {
    const { requestId, code, reason } = verdict
    return {
      send: { bus: 'link', subject: verdict.replyTo, wire: verdict.wire, requestId },
      audit: { ...event, verdict: 'reject', request: verdict.request, code, reason },
      log: { level: 'info', event: 'refuse', fields: { requestId, code, reason } },
    }
  }
  const { request } = verdict
  const { requestId } = request
  return {
    send: {
      bus: 'dreq',
      subject: verdict.subject,
      wire: verdict.wire,
      requestId,
      timeoutMs: verdict.timeoutMs,
    },
    audit: { ...event, verdict: 'accept', request, body: request.body },
    // dreq would not take it, and nothing redelivers a link request: answer it now.
    orElse: (e) => {
      const reason = asGatewayError(e).reason ?? 'publish failed'
      return {
        send: {
          bus: 'link',
          subject: request.replyTo!,
          wire: relay.busUnavailable(request, reason),
          requestId,
        },
        audit: { ...event, verdict: 'error', request, code: 'BUS_UNAVAILABLE', reason },
        log: { level: 'warn', event: 'bus-unavailable', fields: { requestId, reason } },
      }
    },
  }
}

/**
 * A clean response's verdict: the answer on the link, at the inbox the request carried.
 * Unless `intakeHeldHere` (this process recorded the request's intake), the intake event is
 * recorded again under its own id: the relay that took the request in may have died with it
 * unpublished, and the sink keeps whichever copy arrives first.
 */
export function responseResultOf(verdict: ResponseVerdict, intakeHeldHere = false): StageResult {
  if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
  const { requestId, stage, status, code, request } = verdict
  const answered: AuditRecord = {
    step: 'response',
    stage: COMPONENT,
    verdict: 'accept',
    request,
    status,
  }
  return {
    send: { bus: 'link', subject: verdict.replyTo, wire: verdict.wire, requestId },
    audit: intakeHeldHere ? answered : [answered, intakeRecordedAtAnswer(request)],
    log: { level: 'debug', event: 'answer', fields: { requestId, stage, status, code } },
  }
}

/** The intake event as the answering relay can tell it: no body digest, no latency. */
function intakeRecordedAtAnswer(request: RequestContext): AuditRecord {
  return {
    step: 'request',
    stage: COMPONENT,
    verdict: 'accept',
    request,
    reason: INTAKE_RECORDED_AT_ANSWER,
  }
}

/** The answer when the relay is full: what it can say at once, without dreq. */
function overloaded(relay: RelayHandler, msg: Msg, now: number): Send | undefined {
  const verdict = relay.linkRequest(msg, now)
  if (verdict.kind === 'publish') {
    const { request } = verdict
    const wire = relay.busUnavailable(request, 'relay is at capacity')
    return { bus: 'link', subject: request.replyTo!, wire, requestId: request.requestId }
  }
  if (verdict.kind === 'answer') {
    return {
      bus: 'link',
      subject: verdict.replyTo,
      wire: verdict.wire,
      requestId: verdict.requestId,
    }
  }
  return undefined
}

export async function startRelay(
  config: LoadedConfig,
  log: Logger,
  options: RelayRunOptions = {},
): Promise<Running> {
  const relay = createRelay({ publishTimeoutMs: RELAY_PUBLISH_TIMEOUT_MS })
  const ledger = new IntakeLedger()
  const metrics = relayMetrics()
  return runStage(config, log, {
    identity: COMPONENT,
    buses: ['link', 'dreq', 'cresp'],
    input: 'cresp',
    ...options,
    stage: () => ({
      intake: {
        bus: 'link',
        subject: subjects.linkRequestAll,
        queue: QUEUE,
        maxInFlight: MAX_IN_FLIGHT,
        handle: (msg, now) => {
          const verdict = relay.linkRequest(msg, now)
          if (verdict.kind === 'publish') {
            ledger.hold(verdict.request.requestId, verdict.request.deadline, now)
          }
          return linkResultOf(relay, verdict, now)
        },
        overloaded: (msg, now) => overloaded(relay, msg, now),
      },
      handle: (msg, now) => {
        const verdict = relay.cleanResponse(msg, now)
        const heldHere = verdict.kind === 'answer' && ledger.release(verdict.requestId)
        return responseResultOf(verdict, heldHere)
      },
      sent: (send, now) => {
        if (send.bus === 'link') metrics.answered(send.wire, now)
      },
      deadLetter: {
        reads: 'response',
        to: (request) => {
          if (!request.replyTo) {
            throw new GatewayError('ENVELOPE_INVALID', { reason: 'no reply stamp' })
          }
          return { bus: 'link', subject: request.replyTo }
        },
        audit: { step: 'response', stage: COMPONENT },
      },
    }),
  })
}
