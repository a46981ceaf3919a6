/**
 * The audit event: what every stage records about every message and verdict. Stages
 * publish it as JSON on their own audit subject (`subjects.audit(identity)`); the audit sink
 * takes `component` from that subject, which the broker pins, never from the payload.
 */
import { isObject } from '../util/index.js'

/** The stages a request crosses, in the order of the request path. */
export const AUDIT_STAGES = [
  'edge',
  'relay',
  'request-validator',
  'backend',
  'response-validator',
] as const
export type AuditStage = (typeof AUDIT_STAGES)[number]

/**
 * `accept`: the stage passed the message on; `reject`: it refused it with a stable code
 * (the client got that code); `error`: the stage failed (timeout, upstream down, dead letter).
 */
export const AUDIT_VERDICTS = ['accept', 'reject', 'error'] as const
export type AuditVerdict = (typeof AUDIT_VERDICTS)[number]

export interface AuditEvent {
  /** Unique per event; the sink's idempotency key (a redelivered event is written once). */
  id: string
  /** ISO 8601, UTC, milliseconds: when the stage decided. */
  time: string
  requestId: string
  stage: AuditStage
  /** The broker-certified identity that published the event (`relay`, `backend-demo`, `edge-local`). */
  component: string
  verdict: AuditVerdict
  /**
   * The stable reason code for reject and error verdicts: an `ERROR_TABLE` key, or the
   * sink's `AUDIT_EVENT_INVALID` for an event it could not take as sent.
   */
  code?: string
  /** The full reason, for the audit trail only; never sent to the client. */
  reason?: string
  method?: string
  host?: string
  port?: number
  path?: string
  /** The HTTP status the stage produced or saw. */
  status?: number
  /** Time spent in this stage, milliseconds. */
  latencyMs?: number
  /** The actor's subject (`sub` of the verified access token). */
  actor?: string
  /** `sha256:<hex>` of the body the stage saw; no body, no digest. */
  bodyDigest?: string
}

export const AUDIT_EVENT_MAX_BYTES = 16 * 1024

const STRING_FIELDS = [
  'code',
  'reason',
  'method',
  'host',
  'path',
  'actor',
  'bodyDigest',
] as const satisfies readonly (keyof AuditEvent)[]
const NUMBER_FIELDS = [
  'port',
  'status',
  'latencyMs',
] as const satisfies readonly (keyof AuditEvent)[]

/** A message carries one event, or a list of a component's events published together. */
export const AUDIT_MESSAGE_MAX_EVENTS = 256
export const AUDIT_MESSAGE_MAX_BYTES = 512 * 1024

/** What one audit message held: its events in order, undefined where one is not an event. */
export interface AuditMessageContent {
  /** The message was a list (a component's events published together), not one event. */
  listed: boolean
  events: Array<AuditEvent | undefined>
}

/**
 * Reads one audit message: an event, or a list of at most `AUDIT_MESSAGE_MAX_EVENTS` events.
 * Undefined when the message as a whole is not one; otherwise one entry per event sent,
 * undefined where that event is not one (so one bad entry never costs the others): the sink
 * records it as invalid instead of writing a half-understood row. `component` is replaced by
 * the identity the subject certifies.
 */
export function parseAuditMessage(
  json: string,
  component: string,
): AuditMessageContent | undefined {
  if (json.length > AUDIT_MESSAGE_MAX_BYTES) return undefined
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch {
    return undefined
  }
  if (!Array.isArray(raw)) {
    if (json.length > AUDIT_EVENT_MAX_BYTES) return undefined
    return { listed: false, events: [auditEventOf(raw, component)] }
  }
  if (raw.length === 0 || raw.length > AUDIT_MESSAGE_MAX_EVENTS) return undefined
  const events = raw.map((item) =>
    JSON.stringify(item).length > AUDIT_EVENT_MAX_BYTES ? undefined : auditEventOf(item, component),
  )
  return { listed: true, events }
}

function auditEventOf(r: unknown, component: string): AuditEvent | undefined {
  if (!isObject(r)) return undefined
  const str = (v: unknown) => typeof v === 'string' && v.length > 0
  if (!str(r.id) || !str(r.requestId) || !str(r.time) || Number.isNaN(Date.parse(r.time as string)))
    return undefined
  if (!AUDIT_STAGES.includes(r.stage as AuditStage)) return undefined
  if (!AUDIT_VERDICTS.includes(r.verdict as AuditVerdict)) return undefined
  const event: AuditEvent = {
    id: r.id as string,
    time: new Date(r.time as string).toISOString(),
    requestId: r.requestId as string,
    stage: r.stage as AuditStage,
    component,
    verdict: r.verdict as AuditVerdict,
  }
  for (const f of STRING_FIELDS) {
    if (r[f] === undefined) continue
    if (typeof r[f] !== 'string') return undefined
    event[f] = r[f] as string
  }
  for (const f of NUMBER_FIELDS) {
    if (r[f] === undefined) continue
    if (typeof r[f] !== 'number' || !Number.isFinite(r[f])) return undefined
    event[f] = r[f] as number
  }
  return event
}
