/**
 * The edge's span of a request, sent as OTLP/HTTP JSON to the collector the worker names
 * (`OTLP_TRACES_URL`) after the response, never delaying it. Nothing scrapes or reaches into
 * a worker, so the edge posts its span itself, the same trace the on-prem stages continue:
 * its span id is the parent the relay sees (trace.ts).
 */
import { failureReason } from '../../core/index.js'
export interface EdgeSpan {
  traceId: string
  spanId: string
  /** The client's span, when it sent a `traceparent` the edge continued. */
  parentSpanId?: string
  startMs: number
  endMs: number
  attributes: Record<string, string | number>
  /** The problem code of a refusal or failure. */
  error?: string
}

export type SpanExport = (span: EdgeSpan) => Promise<void>

const SERVER = 2
const STATUS_ERROR = 2

const attribute = (key: string, value: string | number) => ({
  key,
  value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
})
const nanos = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`

/** The OTLP/HTTP JSON body of one span. */
export function otlpBodyOf(span: EdgeSpan, service: string): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [attribute('service.name', service)] },
        scopeSpans: [
          {
            scope: { name: 'portcullis' },
            spans: [
              {
                traceId: span.traceId,
                spanId: span.spanId,
                ...(span.parentSpanId && { parentSpanId: span.parentSpanId }),
                name: 'edge',
                kind: SERVER,
                startTimeUnixNano: nanos(span.startMs),
                endTimeUnixNano: nanos(span.endMs),
                attributes: [
                  ...Object.entries(span.attributes).map(([k, v]) => attribute(k, v)),
                  ...(span.error ? [attribute('error.type', span.error)] : []),
                ],
                ...(span.error && { status: { code: STATUS_ERROR, message: span.error } }),
              },
            ],
          },
        ],
      },
    ],
  })
}

/** Posts each span to `url`; a collector that fails loses the span with a log line. */
export function otlpSpanExport(url: string, service: string): SpanExport {
  return async (span) => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: otlpBodyOf(span, service),
        signal: AbortSignal.timeout(5_000),
      })
      await res.arrayBuffer()
      if (!res.ok) throw new Error(`status ${res.status}`)
    } catch (e) {
      console.warn(JSON.stringify({ event: 'span-export-failed', reason: failureReason(e) }))
    }
  }
}
