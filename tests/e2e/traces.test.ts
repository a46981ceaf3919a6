/**
 * One trace per request across the whole path, exported to a local OTLP endpoint: the edge
 * (posting its own span from workerd), the relay's intake, the request validator, the backend
 * and its upstream call, the response validator, the relay's answer; each span the child of
 * the hop before, and a refused request's span naming its problem code.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../harness/otlp.js'
import { startTestStack, type TestStack } from './test-stack.js'

let otlp: OtlpReceiver
let stack: TestStack

beforeAll(async () => {
  otlp = await startOtlpReceiver()
  stack = await startTestStack({ tracing: { otlpUrl: otlp.url } })
}, 240_000)

afterAll(async () => {
  await stack?.dispose()
  await otlp?.close()
})

const CLIENT_SPAN = '00f067aa0ba902b7'

/** The spans of `traceId` once every one of `services` sent at least `count` of them. */
async function spansOf(traceId: string, expected: Record<string, number>): Promise<ReceivedSpan[]> {
  const of = () => otlp.spans.filter((s) => s.traceId === traceId)
  await expect
    .poll(
      () => {
        const counts: Record<string, number> = {}
        for (const s of of()) counts[s.service] = (counts[s.service] ?? 0) + 1
        return Object.entries(expected).every(([k, n]) => (counts[k] ?? 0) >= n)
      },
      { timeout: 15_000, interval: 250 },
    )
    .toBe(true)
  return of()
}

it('TRACE-031 one trace covers edge, relay, request validator, backend with its upstream call, response validator and relay, each the child of the hop before', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const res = await fetch(`${stack.url}/demo/orders`, {
    headers: { traceparent: `00-${traceId}-${CLIENT_SPAN}-01` },
  })
  expect(res.status).toBe(200)
  const requestId = res.headers.get('x-request-id')!
  const spans = await spansOf(traceId, {
    'portcullis-edge': 1,
    'portcullis-relay': 2,
    'portcullis-request-validator': 1,
    'portcullis-backend-demo': 2,
    'portcullis-response-validator': 1,
  })
  const one = (name: string) => {
    const found = spans.filter((s) => s.name === name)
    expect(found, name).toHaveLength(1)
    return found[0]!
  }
  const edge = one('edge')
  const intake = one('relay:link')
  const rv = one('request-validator')
  const backend = one('backend-demo')
  const upstream = one('GET upstream')
  const respv = one('response-validator')
  const answer = one('relay')
  expect(edge.parentSpanId).toBe(CLIENT_SPAN)
  expect(intake.parentSpanId).toBe(edge.spanId)
  expect(rv.parentSpanId).toBe(intake.spanId)
  expect(backend.parentSpanId).toBe(rv.spanId)
  expect(upstream.parentSpanId).toBe(backend.spanId)
  expect(respv.parentSpanId).toBe(backend.spanId)
  expect(answer.parentSpanId).toBe(respv.spanId)
  expect(rv.attributes['portcullis.request_id']).toBe(requestId)
  expect(edge.attributes['http.response.status_code']).toBe(200)
  // The upstream saw the upstream call's span as its parent.
  const seen = (await stack.received()).find((r) => r.requestId === requestId)!
  expect(seen.headers.traceparent).toBe(`00-${traceId}-${upstream.spanId}-01`)
})

it("TRACE-032 a refused request's trace names its problem code on the span of the stage that refused it, and on the edge's", async () => {
  const traceId = '5cf92f3577b34da6a3ce929d0e0e4737'
  const res = await fetch(`${stack.url}/demo/orders?no_such_parameter=1`, {
    headers: { traceparent: `00-${traceId}-${CLIENT_SPAN}-01` },
  })
  expect(res.status).toBe(400)
  const { code } = (await res.json()) as { code: string }
  const spans = await spansOf(traceId, { 'portcullis-edge': 1, 'portcullis-request-validator': 1 })
  const rv = spans.find((s) => s.name === 'request-validator')!
  expect(rv.status).toMatchObject({ code: 2, message: code })
  expect(rv.attributes['error.type']).toBe(code)
  const edge = spans.find((s) => s.name === 'edge')!
  expect(edge.attributes['error.type']).toBe(code)
  expect(spans.some((s) => s.name === 'backend-demo')).toBe(false)
})
