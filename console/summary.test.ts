import { describe, expect, it } from 'vitest'
import { parseMetrics } from './prometheus.js'
import { quantile, summarize, type Scrape } from './summary.js'

const relay = (text: string) => ({ name: 'relay', component: 'relay', samples: parseMetrics(text) })

const before = `
portcullis_http_requests_total{host="demo",route="listOrders",status="200",code="",component="relay"} 10
http_server_request_duration_seconds_bucket{le="0.01",host="demo",route="listOrders",status="200",component="relay"} 5
http_server_request_duration_seconds_bucket{le="0.1",host="demo",route="listOrders",status="200",component="relay"} 10
http_server_request_duration_seconds_bucket{le="+Inf",host="demo",route="listOrders",status="200",component="relay"} 10
`
const after = `
portcullis_http_requests_total{host="demo",route="listOrders",status="200",code="",component="relay"} 30
portcullis_http_requests_total{host="demo",route="none",status="404",code="ROUTE_NOT_FOUND",component="relay"} 4
http_server_request_duration_seconds_bucket{le="0.01",host="demo",route="listOrders",status="200",component="relay"} 15
http_server_request_duration_seconds_bucket{le="0.1",host="demo",route="listOrders",status="200",component="relay"} 30
http_server_request_duration_seconds_bucket{le="+Inf",host="demo",route="listOrders",status="200",component="relay"} 30
portcullis_refusals_total{stage="request-validator",code="ROUTE_NOT_FOUND",component="request-validator"} 4
`

describe('console summary', () => {
  it('rates and quantiles come from the difference of two scrapes', () => {
    const first: Scrape = { at: 0, processes: [relay(before)] }
    const last: Scrape = {
      at: 10_000,
      processes: [
        relay(after),
        {
          name: 'request-validator',
          component: 'request-validator',
          samples: parseMetrics(
            'portcullis_consumer_pending_messages{stage="request-validator"} 7\n' +
              'portcullis_stage_messages_total{stage="request-validator",outcome="sent"} 24\n' +
              'portcullis_refusals_total{stage="request-validator",code="ROUTE_NOT_FOUND"} 4',
          ),
        },
      ],
    }
    const s = summarize(first, last)
    const list = s.routes.find((r) => r.route === 'listOrders')!
    expect(list).toMatchObject({ host: 'demo', rps: 2, window: 20, total: 30 })
    // 20 answers in the window: 10 under 10 ms, 10 between 10 and 100 ms.
    expect(list.p50).toBeCloseTo(0.01, 5)
    expect(list.p99).toBeCloseTo(0.01 + 0.09 * 0.98, 5)
    expect(s.routes.find((r) => r.route === 'none')).toMatchObject({ total: 4, window: 4 })
    expect(s.refusals).toEqual([{ code: 'ROUTE_NOT_FOUND', stage: 'request-validator', count: 8 }])
    expect(s.stages).toEqual([
      { stage: 'request-validator', processes: 1, pending: 7, ackPending: 0, messages: 24 },
    ])
  })

  it('a quantile of no answers is none', () => {
    expect(quantile(new Map([[Infinity, 0]]), 0.5)).toBeUndefined()
  })
})
