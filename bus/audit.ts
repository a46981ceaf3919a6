/**
 * A component's audit events onto its audit bus: `pc.audit.<identity>`, the one subject its
 * grant lets it publish there, captured by that bus's AUDIT stream for the audit sink.
 *
 * Never on the request path's clock: `record` returns at once. Events gather for at most
 * `AUDIT_LINGER_MS` (or until `AUDIT_BATCH_EVENTS` or `AUDIT_BATCH_BYTES`) and leave as one
 * message holding their list: one JetStream publish and one acknowledgement for the lot
 * instead of one each. The publish carries a `Nats-Msg-Id` drawn once per message, so a
 * retry is stored once, and is tried again for `AUDIT_GIVE_UP_MS` (a bus electing a leader
 * takes seconds). At most `maxInFlight` events wait; beyond that an event is refused at
 * once: a stalled bus must not grow the process without bound. An event given up or refused
 * rejects its `record` promise, so the stage does not ack its input: the message comes back
 * and the event is recorded again (the sink keeps one per event id).
 */
import { randomBytes } from 'node:crypto'
import { jetstream, type JetStreamClient } from '@nats-io/jetstream'
import {
  AUDIT_MESSAGE_MAX_BYTES,
  AUDIT_MESSAGE_MAX_EVENTS,
  failureReason,
  subjects,
  type AuditStage,
  type AuditVerdict,
  type AuditEvent,
  type BusName,
  type RequestContext,
} from '../core/index.js'
import { sha256HexSync, type Logger } from '../runtime/index.js'
import { auditBusOf, type Topology } from '../topology/index.js'
import type { ComponentBuses } from './component.js'

export const AUDIT_MAX_IN_FLIGHT = 10_000
export const AUDIT_LINGER_MS = 5
/** Well inside what the sink reads as one message (AUDIT_MESSAGE_MAX_EVENTS and _BYTES). */
export const AUDIT_BATCH_EVENTS = AUDIT_MESSAGE_MAX_EVENTS / 4
export const AUDIT_BATCH_BYTES = AUDIT_MESSAGE_MAX_BYTES / 4
/** How long a message of events is tried again before its events are given up (rejected). */
export const AUDIT_GIVE_UP_MS = 20_000
const RETRY_MS = 200
const RETRY_MAX_MS = 2_000
const PUBLISH_TIMEOUT_MS = 5_000
/** A reason is for people reading the trail; bounded so one event stays one small message. */
const MAX_REASON = 1_000
const encoder = new TextEncoder()
const tooMany = (): Promise<void> => {
  const p = Promise.reject(new Error('too many audit events waiting'))
  p.catch(() => undefined)
  return p
}

export interface AuditRecord {
  /** Names this event among the component's events for the request (`request`, `response`). */
  step: string
  stage: AuditStage
  verdict: AuditVerdict
  request: Pick<RequestContext, 'requestId' | 'method' | 'host' | 'port' | 'path' | 'trace'>
  code?: string
  reason?: string
  status?: number
  /** When the stage started on this message (epoch ms); the latency is measured from it. */
  startedAt?: number
  actor?: string
  body?: Uint8Array
}

export interface AuditPublisher {
  /**
   * Queues one event; resolves once the message holding it is acknowledged by the audit bus,
   * rejects when it was given up (logged) or refused because too many wait. A stage acks its
   * input only on resolve, so an event is never lost with a process that dies while it
   * waits, nor with a bus that stays away: the input comes back and records it again.
   */
  record(r: AuditRecord): Promise<void>
  /** Waits for the events in flight (at stop). */
  flush(): Promise<void>
  stats(): { published: number; failed: number; dropped: number }
}

export function bodyDigest(body: Uint8Array): string {
  return `sha256:${sha256HexSync(body)}`
}

/** The event a record becomes; its id is the same on every retry and every redelivery. */
export function auditEventOf(identity: string, r: AuditRecord, now: number): AuditEvent {
  const { request } = r
  const event: AuditEvent = {
    id: `${request.requestId}/${identity}/${r.step}`,
    time: new Date(now).toISOString(),
    requestId: request.requestId,
    stage: r.stage,
    component: identity,
    verdict: r.verdict,
    method: request.method,
    host: request.host,
    port: request.port,
    path: request.path,
  }
  if (r.code !== undefined) event.code = r.code
  if (r.reason !== undefined) event.reason = r.reason.slice(0, MAX_REASON)
  if (r.status !== undefined) event.status = r.status
  if (r.startedAt !== undefined) event.latencyMs = Math.max(0, now - r.startedAt)
  if (r.actor !== undefined) event.actor = r.actor
  if (r.body !== undefined && r.body.length > 0) event.bodyDigest = bodyDigest(r.body)
  return event
}

export function createAuditPublisher(opts: {
  buses: Pick<ComponentBuses, 'on'>
  topology: Topology
  identity: string
  log: Logger
  maxInFlight?: number
}): AuditPublisher {
  const { identity, log } = opts
  const bus: BusName = auditBusOf(opts.topology, identity)
  const subject = subjects.audit(identity)
  const maxInFlight = opts.maxInFlight ?? AUDIT_MAX_IN_FLIGHT
  const inFlight = new Set<Promise<void>>()
  const counts = { published: 0, failed: 0, dropped: 0 }
  let js: JetStreamClient | undefined
  /** Events recorded and not yet published or given up: buffered and in flight. */
  let waiting = 0
  /** Events gathered for the next message, each with its JSON text. */
  let buffer: Array<{ event: AuditEvent; json: string }> = []
  let bufferBytes = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  /** Settles when the message the buffered events will leave in is settled. */
  let buffered: { settled: Promise<void>; settle: () => void; fail: (e: Error) => void } | undefined

  /** True once the audit bus acknowledged the message; false when it was given up. */
  const send = async (data: Uint8Array, events: AuditEvent[]): Promise<boolean> => {
    // The stream de-duplicates by Nats-Msg-Id across every subject: were it derived from the
    // events, another component that knows a request id could publish it first and have
    // these events dropped as duplicates. A random id, drawn once per message, keeps a retry
    // harmless and the id unguessable; the sink's own idempotency is by event id.
    const msgID = `${identity}/${randomBytes(16).toString('hex')}`
    const giveUpAt = Date.now() + AUDIT_GIVE_UP_MS
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          js ??= jetstream(opts.buses.on(bus))
          await js.publish(subject, data, { msgID, timeout: PUBLISH_TIMEOUT_MS })
          counts.published += events.length
          return true
        } catch (e) {
          if (Date.now() >= giveUpAt) {
            counts.failed += events.length
            for (const event of events) {
              log.error('audit-failed', {
                requestId: event.requestId,
                event: event.id,
                reason: failureReason(e),
              })
            }
            return false
          }
          await new Promise((r) => setTimeout(r, Math.min(RETRY_MS * attempt, RETRY_MAX_MS)))
        }
      }
    } finally {
      waiting -= events.length
    }
  }

  const publishBuffer = (): void => {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (buffer.length === 0) return
    const data = encoder.encode(`[${buffer.map((b) => b.json).join(',')}]`)
    const p = send(
      data,
      buffer.map((b) => b.event),
    )
    const batch = buffered
    buffer = []
    bufferBytes = 0
    buffered = undefined
    const settled = p.then((ok) => {
      inFlight.delete(settled)
      if (ok) batch?.settle()
      else batch?.fail(new Error('audit events not acknowledged by the audit bus'))
    })
    // send() never rejects: it counts and logs what it gives up on.
    inFlight.add(settled)
  }

  return {
    record(r) {
      if (waiting >= maxInFlight) {
        counts.dropped++
        if (counts.dropped % 1000 === 1) {
          log.error('audit-dropped', { dropped: counts.dropped, waiting })
        }
        return tooMany()
      }
      const event = auditEventOf(identity, r, Date.now())
      const json = JSON.stringify(event)
      if (bufferBytes + json.length + 2 > AUDIT_BATCH_BYTES) publishBuffer()
      waiting++
      if (!buffered) {
        let settle!: () => void
        let fail!: (e: Error) => void
        const settled = new Promise<void>((resolve, reject) => {
          settle = resolve
          fail = reject
        })
        // Nobody may be listening by then (the intake's events): a rejection is not a crash.
        settled.catch(() => undefined)
        buffered = { settled, settle, fail }
      }
      const { settled } = buffered
      buffer.push({ event, json })
      bufferBytes += json.length + 1
      if (buffer.length >= AUDIT_BATCH_EVENTS) publishBuffer()
      else timer ??= setTimeout(publishBuffer, AUDIT_LINGER_MS)
      return settled
    },
    async flush() {
      publishBuffer()
      await Promise.all(inFlight)
    },
    stats: () => ({ ...counts }),
  }
}
