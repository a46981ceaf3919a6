/**
 * The audit sink's reading of one message from an AUDIT stream: one event, or a list of a
 * component's events published together, each read on its own. The component is the
 * subject's (`pc.audit.<identity>`, which only that identity may publish); an event that
 * claims another component is corrected by it, and an event whose stage that component
 * never runs, that is not an event at all, or that the store could not keep exactly as sent,
 * is not dropped: it becomes an `error` event (`AUDIT_EVENT_INVALID`) of that component, so
 * the trail keeps the fact that it arrived. Event ids are `<request id>/<identity>/<step>`,
 * checked against the subject's identity.
 */
import {
  identityOfAudit,
  isRequestId,
  parseAuditMessage,
  type AuditEvent,
  type AuditStage,
} from '../../core/index.js'
import { AUDIT_SINK, type ComponentKind, type Topology } from '../../topology/index.js'
import { rowOfEvent } from '../store/index.js'
import { AUDIT_EVENT_INVALID, QUOTE_MAX } from './constants.js'

export interface AuditMessage {
  subject: string
  data: Uint8Array
  /** The bus the stream is on and the message's sequence in it: names a malformed event. */
  bus: string
  streamSeq: number
  /** When the stream stored the message (nanoseconds since 1970, the stream's own clock). */
  storedAtNanos: bigint
}

/** The stages each kind of component may report (a validating backend reports all three). */
export function stagesOf(kind: ComponentKind, topology: Pick<Topology, 'mode'>): AuditStage[] {
  switch (kind) {
    case 'edge':
      return ['edge']
    case 'relay':
      return ['relay']
    case 'request-validator':
      return ['request-validator']
    case 'response-validator':
      return ['response-validator']
    case 'backend':
      return topology.mode === 'single-validation'
        ? ['request-validator', 'backend', 'response-validator']
        : ['backend']
    default:
      return []
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Text a sender chose, fit to quote in a stored reason: at most `QUOTE_MAX` code points (a
 * surrogate pair is never split), NUL and lone surrogates (which no row can hold) as U+FFFD.
 */
export function quote(text: string): string {
  const points = Array.from(text)
  const cut = points.length > QUOTE_MAX ? `${points.slice(0, QUOTE_MAX).join('')}…` : text
  return cut.replace(/[\0\p{Cs}]/gu, '\uFFFD')
}

/** The sink's view of one message: the events to store, at least one, never a throw. */
export type AuditReader = (msg: AuditMessage) => AuditEvent[]

export function createAuditReader(
  topology: Pick<Topology, 'mode' | 'identities'>,
  /** The sink's identity, as the store records it (only the row's size depends on it). */
  sink = AUDIT_SINK,
): AuditReader {
  const kinds = new Map(topology.identities.map((i) => [i.id, i.kind]))
  return (msg) => {
    const identity = identityOfAudit(msg.subject)
    const kind = identity === undefined ? undefined : kinds.get(identity)
    /** An error event for what arrived; `index` names an entry of a list. */
    const invalid = (why: string, requestId?: unknown, index?: number): AuditEvent => ({
      // The stream's sequence and time: a redelivery is the same event, and a stream created
      // anew (its sequence back at 1) cannot collide with what an older one left.
      id:
        `invalid/${msg.bus}/${msg.streamSeq}/${msg.storedAtNanos}` +
        (index === undefined ? '' : `/${index}`),
      time: new Date(Number(msg.storedAtNanos / 1_000_000n)).toISOString(),
      // Kept when it is one, so the attempt is found with the request it names.
      requestId: typeof requestId === 'string' && isRequestId(requestId) ? requestId : '-',
      stage: kind ? (stagesOf(kind, topology)[0] ?? 'relay') : 'relay',
      // A subject is never empty on the wire; '-' keeps the reader total all the same.
      component: kind ? identity! : quote(msg.subject) || '-',
      verdict: 'error',
      code: AUDIT_EVENT_INVALID,
      reason: why,
    })
    if (identity === undefined || kind === undefined) {
      return [invalid(`event on ${quote(msg.subject)}, not an identity's audit subject`)]
    }
    let text: string
    try {
      text = decoder.decode(msg.data)
    } catch {
      return [invalid(`${identity} sent an event that is not UTF-8`)]
    }
    const content = parseAuditMessage(text, identity)
    if (!content) return [invalid(`${identity} sent something that is not an audit event`)]
    const stages = stagesOf(kind, topology)
    return content.events.map((event, i) => {
      const index = content.listed ? i : undefined
      if (!event)
        return invalid(`${identity} sent something that is not an audit event`, undefined, index)
      const fail = (why: string) => invalid(why, event.requestId, index)
      if (!stages.includes(event.stage)) {
        return fail(`${identity} reported stage ${event.stage}, which it does not run`)
      }
      // Ids are `<request id>/<identity>/<step>`: one component cannot take, and so suppress
      // through the sink's idempotency, an id that belongs to another component's event.
      const prefix = `${event.requestId}/${identity}/`
      if (!event.id.startsWith(prefix) || event.id.length === prefix.length) {
        return fail(`${identity} sent event id ${quote(event.id)}, not one of its own`)
      }
      // What the store would refuse (a NUL, a port of 70000, a time before 1970) is refused
      // here, where the message is still at hand to name.
      const row = rowOfEvent(event, sink)
      if ('problem' in row) {
        return fail(`${identity} sent an event the trail cannot hold as sent: ${row.problem}`)
      }
      return event
    })
  }
}
