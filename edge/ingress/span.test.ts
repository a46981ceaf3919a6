import { describe, expect, it } from 'vitest'
import { otlpBodyOf } from './span.js'

describe("the edge's span as OTLP/HTTP JSON", () => {
  it('carries the ids in hex, the times in nanoseconds, and the problem code as an error status', () => {
    const body = JSON.parse(
      otlpBodyOf(
        {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: 'a'.repeat(16),
          parentSpanId: 'b'.repeat(16),
          startMs: 1_700_000_000_000,
          endMs: 1_700_000_000_012,
          attributes: { 'portcullis.request_id': 'r1', 'http.response.status_code': 429 },
          error: 'RATE_LIMITED',
        },
        'portcullis-edge',
      ),
    ) as {
      resourceSpans: Array<{
        resource: { attributes: Array<{ key: string; value: { stringValue: string } }> }
        scopeSpans: Array<{ spans: Array<Record<string, unknown>> }>
      }>
    }
    const rs = body.resourceSpans[0]!
    expect(rs.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'portcullis-edge' } },
    ])
    const span = rs.scopeSpans[0]!.spans[0]!
    expect(span).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: 'a'.repeat(16),
      parentSpanId: 'b'.repeat(16),
      name: 'edge',
      kind: 2,
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000000012000000',
      status: { code: 2, message: 'RATE_LIMITED' },
    })
    expect(span.attributes).toContainEqual({
      key: 'http.response.status_code',
      value: { intValue: '429' },
    })
    expect(span.attributes).toContainEqual({
      key: 'error.type',
      value: { stringValue: 'RATE_LIMITED' },
    })
  })
})
