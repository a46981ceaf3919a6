/**
 * One audit event per request the edge saw: `accept` when it went over the link (the final
 * status, whatever a later stage decided), `reject` with the code when the edge refused it
 * itself, `error` when the link could not carry it. The event leaves through `record`
 * (the worker hands it to a link pool object, which publishes it on the edge's own audit
 * subject) after the response is built, and never delays or changes the response.
 */
import { createMiddleware } from 'hono/factory'
import { asGatewayError, sha256Hex, type AuditEvent } from '../../core/index.js'
import type { IngressEnv } from './types.js'

/** An edge event before the link pool object stamps its id and component (its edge id). */
export type EdgeAuditEvent = Omit<AuditEvent, 'id' | 'component' | 'stage'> & { stage: 'edge' }

export type EdgeAudit = (event: EdgeAuditEvent) => Promise<void>

/** Failures of the link itself: the edge passed the request on, the link lost it. */
const LINK_FAILURES = new Set(['BUS_UNAVAILABLE', 'GATEWAY_TIMEOUT'])

export function auditTrail(record: EdgeAudit | undefined, now: () => number) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    const started = now()
    await next()
    if (!record) return
    const target = c.get('target')
    const caller = c.get('caller')
    const forwarded = c.get('forwarded') === true
    const event: EdgeAuditEvent = {
      time: new Date(now()).toISOString(),
      requestId: c.get('requestId'),
      stage: 'edge',
      verdict: 'accept',
      method: c.req.method.slice(0, 16),
      status: c.res.status,
      latencyMs: Math.max(0, now() - started),
    }
    if (target) Object.assign(event, { host: target.host, port: target.port, path: target.path })
    if (caller) event.actor = caller.sub
    if (c.error) {
      const error = asGatewayError(c.error)
      if (!forwarded || LINK_FAILURES.has(error.code)) {
        event.verdict = forwarded ? 'error' : 'reject'
        event.code = error.code
        if (error.reason) event.reason = error.reason
      }
    }
    const body = c.get('body')
    const sent = (async () => {
      if (body && body.length > 0) {
        event.bodyDigest = `sha256:${await sha256Hex(body)}`
      }
      await record(event)
    })().catch(() => undefined)
    try {
      c.executionCtx.waitUntil(sent)
    } catch {
      // No execution context (tests): the promise runs on its own.
    }
  })
}
