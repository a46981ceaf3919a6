/**
 * LinkPool: a Durable Object that holds one warm link connection. A stateless worker cannot
 * share a WebSocket between requests; an object can, so the worker spreads requests over the
 * shards of its location (`link-<location>-0` .. `-<n-1>`, `client.ts`) and each keeps its
 * connection open between them, to any node of the link.
 */
import { DurableObject } from 'cloudflare:workers'
import {
  edgeIdentity,
  failureReason,
  subjects,
  type AuditEvent,
  type RequestEnvelope,
} from '../../core/index.js'
import type { EdgeAuditEvent } from '../ingress/index.js'
import { LinkConnection } from './connection.js'
import { failure, type LinkOutcome } from './outcome.js'
import { linkUrlsOf } from './urls.js'

/** How long an audit event may wait for a link connection before it is given up. */
const AUDIT_CONNECT_BUDGET_MS = 2_000

export class LinkPool extends DurableObject<Env> {
  #link: LinkConnection | undefined

  #connection(): LinkConnection {
    this.#link ??= new LinkConnection({
      // The worker checked it (settings.ts) before any request reached a pool object.
      urls: linkUrlsOf(this.env.LINK_URL) ?? [],
      creds: this.env.LINK_CREDS,
      edgeId: this.env.EDGE_ID,
      name: `edge-${this.env.EDGE_ID}/${this.ctx.id.toString().slice(0, 12)}`,
    })
    return this.#link
  }

  /** RPC: carries one request over the link; never throws, the outcome says what happened. */
  async send(request: RequestEnvelope, timeoutMs: number): Promise<LinkOutcome> {
    try {
      return { ok: true, response: await this.#connection().request(request, timeoutMs) }
    } catch (e) {
      const outcome = failure(e)
      console.warn(
        JSON.stringify({ event: 'link-failed', requestId: request.requestId, ...outcome }),
      )
      return outcome
    }
  }

  /**
   * RPC: publishes a batch of audit events, one message each, on this edge's audit subject,
   * the only one its link identity may publish besides its requests. Never throws: lost
   * events are logged here.
   */
  async audit(events: EdgeAuditEvent[]): Promise<void> {
    const identity = edgeIdentity(this.env.EDGE_ID)
    const encoder = new TextEncoder()
    const messages = events.map((event) => {
      const full: AuditEvent = {
        ...event,
        id: `${event.requestId}/${identity}/request`,
        component: identity,
      }
      return encoder.encode(JSON.stringify(full))
    })
    try {
      await this.#connection().publish(subjects.audit(identity), messages, AUDIT_CONNECT_BUDGET_MS)
    } catch (e) {
      console.warn(
        JSON.stringify({
          event: 'audit-failed',
          events: events.length,
          requestIds: events.map((e) => e.requestId).slice(0, 8),
          reason: failureReason(e),
        }),
      )
    }
  }
}
