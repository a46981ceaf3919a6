/**
 * A component's audit events onto its audit bus: `pc.audit.<identity>`, the one subject its
 * grant lets it publish there, captured by that bus's AUDIT stream for the audit sink.
 *
 * Never on the request path's clock: `record` returns at once; the publish (a JetStream
 * publish with a `Nats-Msg-Id` drawn once per event, so a retry is stored once) runs behind
 * it, with a few retries. At most `maxInFlight` events wait; beyond that an event is dropped and
 * counted, and the log says so: a stalled bus must not grow the process without bound.
 */
import { createHash, randomBytes } from 'node:crypto'
import { jetstream, type JetStreamClient } from '@nats-io/jetstream'
import {
  subjects,
  type AuditStage,
  type AuditVerdict,
  type AuditEvent,
  type BusName,
  type RequestContext,
} from '../core/index.js'
import type { Logger } from '../runtime/index.js'
import { auditBusOf, type Topology } from '../topology/index.js'
import type { ComponentBuses } from './component.js'

export const AUDIT_MAX_IN_FLIGHT = 10_000
const ATTEMPTS = 3
const RETRY_MS = 200
const PUBLISH_TIMEOUT_MS = 5_000
/** A reason is for people reading the trail; bounded so one event stays one small message. */
const MAX_REASON = 1_000

export interface AuditRecord {
  /** Names this event among the component's events for the request (`request`, `response`). */
  step: string
  stage: AuditStage
  verdict: AuditVerdict
  request: Pick<RequestContext, 'requestId' | 'method' | 'host' | 'port' | 'path'>
  code?: string
  reason?: string
  status?: number
  /** When the stage started on this message (epoch ms); the latency is measured from it. */
  startedAt?: number
  actor?: string
  body?: Uint8Array
}

export interface AuditPublisher {
  record(r: AuditRecord): void
  /** Waits for the events in flight (at stop). */
  flush(): Promise<void>
  stats(): { published: number; failed: number; dropped: number }
}

export function bodyDigest(body: Uint8Array): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
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

  const send = async (event: AuditEvent): Promise<void> => {
    const data = new TextEncoder().encode(JSON.stringify(event))
    // The stream de-duplicates by Nats-Msg-Id across every subject: were it the event id,
    // another component that knows the request id could publish it first and have this
    // event dropped as a duplicate. A random part, drawn once per event, keeps a retry
    // harmless and the id unguessable; the sink's own idempotency is by event id.
    const msgID = `${event.id}/${randomBytes(12).toString('hex')}`
    for (let attempt = 1; ; attempt++) {
      try {
        js ??= jetstream(opts.buses.on(bus))
        await js.publish(subject, data, { msgID, timeout: PUBLISH_TIMEOUT_MS })
        counts.published++
        return
      } catch (e) {
        if (attempt >= ATTEMPTS) {
          counts.failed++
          log.error('audit-failed', {
            requestId: event.requestId,
            event: event.id,
            reason: e instanceof Error ? e.message : String(e),
          })
          return
        }
        await new Promise((r) => setTimeout(r, RETRY_MS * attempt))
      }
    }
  }

  return {
    record(r) {
      if (inFlight.size >= maxInFlight) {
        counts.dropped++
        if (counts.dropped % 1000 === 1) {
          log.error('audit-dropped', { dropped: counts.dropped, inFlight: inFlight.size })
        }
        return
      }
      const p = send(auditEventOf(identity, r, Date.now()))
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
    },
    async flush() {
      await Promise.all(inFlight)
    },
    stats: () => ({ ...counts }),
  }
}
