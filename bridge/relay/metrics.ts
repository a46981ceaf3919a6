/**
 * The gateway's requests as the relay answers them on the link: every answer, whichever
 * stage decided it (a refusal, an upstream's answer, a bus that would not take it), counted by
 * host, route, status and problem code, and timed from the relay's intake of the request.
 * Names as operators know them: Kong's `kong_http_requests_total`, OpenTelemetry's
 * `http.server.request.duration` (seconds, its advisory buckets).
 */
import { responseSummaryOf, type WireMessage } from '../../core/index.js'
import { counter, DURATION_BUCKETS, histogram } from '../../runtime/index.js'

/** The route label of a request no route matched (refused before the request validator named it). */
export const NO_ROUTE = 'none'

export function relayMetrics() {
  const requests = counter({
    name: 'portcullis_http_requests_total',
    help: 'Requests answered, by host, route (operation), status and problem code (empty: none).',
    labelNames: ['host', 'route', 'status', 'code'] as const,
  })
  const duration = histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Time from the relay taking a request in to its answer on the link.',
    labelNames: ['host', 'route', 'status'] as const,
    buckets: DURATION_BUCKETS,
  })
  return {
    /** An answer sent on the link. */
    answered(wire: WireMessage, now: number): void {
      const s = responseSummaryOf(wire.headers)
      if (!s) return
      const labels = { host: s.host, route: s.operation ?? NO_ROUTE, status: String(s.status) }
      requests.inc({ ...labels, code: s.error ?? '' })
      if (s.receivedAt !== undefined && now >= s.receivedAt) {
        duration.observe(labels, (now - s.receivedAt) / 1e3)
      }
    },
  }
}
