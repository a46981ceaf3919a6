/**
 * The audit sink's metrics: events written to the store (by stage), the chain's head, and the
 * edge's outcomes. The edge runs in Cloudflare, where no scraper reaches it: its requests are
 * counted here from the audit events it already sends over the link (each request's `edge`
 * event with its verdict and problem code), so refusals at the edge (rate limit, firewall,
 * tokens) show beside the on-prem stages'. A redelivered event is written once but may be
 * counted again: these counts are at least once.
 */
import type { AuditEvent } from '../../core/index.js'
import { counter, gauge } from '../../runtime/index.js'

export function auditSinkMetrics() {
  const written = counter({
    name: 'portcullis_audit_events_written_total',
    help: 'Audit events the sink wrote to its store, by the stage that recorded them.',
    labelNames: ['stage'] as const,
  })
  const skipped = counter({
    name: 'portcullis_audit_events_duplicate_total',
    help: 'Audit events the store already had (a redelivery or a second copy), written once.',
  })
  const head = gauge({
    name: 'portcullis_audit_chain_head_seq',
    help: 'Sequence number of the last row of the hash-chained audit trail.',
  })
  const edge = counter({
    name: 'portcullis_edge_requests_total',
    help: 'Requests the edge handled, from its audit events: by edge, verdict and problem code.',
    labelNames: ['edge', 'verdict', 'code'] as const,
  })
  return {
    /** The chain's head as the store had it at start. */
    started(headSeq: number) {
      head.set(headSeq)
    },
    committed(
      events: AuditEvent[],
      result: { written: number; skipped: number; lastSeq?: number },
    ) {
      for (const e of events) {
        written.inc({ stage: e.stage })
        if (e.stage === 'edge') {
          edge.inc({ edge: e.component, verdict: e.verdict, code: e.code ?? '' })
        }
      }
      if (result.skipped) skipped.inc(result.skipped)
      if (result.lastSeq !== undefined) head.set(result.lastSeq)
    },
  }
}
