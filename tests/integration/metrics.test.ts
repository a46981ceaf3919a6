/**
 * Every on-prem process of a running stack serves Prometheus metrics, listed by
 * `portcullis status --json`; after traffic through the link, what each one counts matches
 * what was sent: the relay's answers by route, status and code, the request validator's
 * refusals, the audit sink's events and chain head, each stage's messages and consumer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/nats-core'
import { startEphemeralStack, type EphemeralStack } from '../../cli/ephemeral.js'
import { statusReport } from '../../cli/commands/status.js'
import { stateFileOf } from '../../cli/state.js'
import { connectLinkWebsocket } from '../harness/buses.js'
import { getThroughLink, type LinkAnswer } from '../harness/link-get.js'
import { scrape, sumOf, type Sample } from '../harness/prometheus.js'

const SLOW = 180_000
const GOOD = 20
const REFUSED = 6

let stack: EphemeralStack
let link: NatsConnection
const answers: LinkAnswer[] = []

beforeAll(async () => {
  stack = await startEphemeralStack({}, { edge: false, onLine: () => {} })
  const edge = stack.topology.identities.find((i) => i.kind === 'edge')!
  link = await connectLinkWebsocket(
    { topology: stack.topology, keysDir: stack.config.paths.keys },
    edge.id,
  )
  const get = async (path: string) => {
    const a = await getThroughLink(link, stack.config.edge.id, { path, timeoutMs: 10_000 })
    answers.push(a)
    return a
  }
  const until = Date.now() + 60_000
  while ((await get('/orders')).status !== 200 && Date.now() < until)
    await new Promise((r) => setTimeout(r, 250))
  for (let i = 0; i < GOOD; i++) await get('/orders')
  for (let i = 0; i < REFUSED; i++) await get(`/no-such-route/${i}`)
}, SLOW)

afterAll(async () => {
  await link?.close().catch(() => undefined)
  await stack?.dispose()
})

/** The running processes that serve metrics, by name (every on-prem process but nats-server). */
function metricsPorts(): Map<string, number> {
  return new Map(
    stack
      .processes()
      .filter((p) => p.metricsPort !== undefined)
      .map((p) => [p.name, p.metricsPort!]),
  )
}

async function scrapeOf(name: string): Promise<Sample[]> {
  const port = metricsPorts().get(name)
  if (!port) throw new Error(`${name} serves no metrics`)
  return scrape(port)
}

describe('metrics', () => {
  it('OPS-101 every on-prem process serves /metrics on loopback, its port in status --json', async () => {
    const stages = stack.processes().filter((p) => !p.name.startsWith('nats-'))
    expect(stages.length).toBeGreaterThanOrEqual(5)
    const report = await statusReport(stateFileOf(stack.config.paths.data))
    for (const p of stages) {
      expect(p.metricsPort, p.name).toBeGreaterThan(0)
      expect(report.processes.find((r) => r.name === p.name)?.metricsPort, p.name).toBe(
        p.metricsPort,
      )
      const samples = await scrape(p.metricsPort!)
      // The process's own resources, labelled with its component.
      expect(
        sumOf(samples, 'process_cpu_seconds_total', { component: p.component }),
      ).toBeGreaterThan(0)
      expect(sumOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    }
    // Nothing but GET /metrics.
    const port = metricsPorts().get('relay')!
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404)
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405)
  })

  it('OPS-102 the relay counts every answer by host, route, status and code, and times each', async () => {
    const samples = await scrapeOf('relay')
    const byStatus = new Map<number, number>()
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1)
    expect(byStatus.get(0)).toBeUndefined()
    for (const [status, n] of byStatus) {
      expect(sumOf(samples, 'portcullis_http_requests_total', { status: String(status) })).toBe(n)
    }
    expect(sumOf(samples, 'portcullis_http_requests_total', { host: 'demo' })).toBe(answers.length)
    const ok = sumOf(samples, 'portcullis_http_requests_total', { status: '200', code: '' })
    expect(ok).toBeGreaterThanOrEqual(GOOD)
    // A matched route is labelled with its operation; the unmatched ones with `none`.
    const routes = new Set(
      samples
        .filter((s) => s.name === 'portcullis_http_requests_total' && s.labels.status === '200')
        .map((s) => s.labels.route),
    )
    expect([...routes].every((r) => r && r !== 'none')).toBe(true)
    const refusedCode = answers.at(-1)!.code!
    expect(refusedCode).toBeTruthy()
    expect(
      sumOf(samples, 'portcullis_http_requests_total', { route: 'none', code: refusedCode }),
    ).toBe(REFUSED)
    expect(sumOf(samples, 'http_server_request_duration_seconds_count')).toBe(answers.length)
    expect(sumOf(samples, 'http_server_request_duration_seconds_sum')).toBeGreaterThan(0)
  })

  it('OPS-103 the request validator counts its refusals by code, and every stage its messages and consumer', async () => {
    const refusedCode = answers.at(-1)!.code!
    const rv = await scrapeOf('request-validator')
    expect(
      sumOf(rv, 'portcullis_refusals_total', { stage: 'request-validator', code: refusedCode }),
    ).toBe(REFUSED)
    expect(sumOf(rv, 'portcullis_stage_messages_total', { stage: 'request-validator' })).toBe(
      answers.length,
    )
    expect(sumOf(rv, 'portcullis_stage_duration_seconds_count')).toBe(answers.length)
    expect(
      sumOf(rv, 'portcullis_bus_publish_duration_seconds_count', { stage: 'request-validator' }),
    ).toBe(answers.length)
    expect(
      rv.some(
        (s) =>
          s.name === 'portcullis_consumer_pending_messages' &&
          s.labels.stage === 'request-validator',
      ),
    ).toBe(true)
    // The relay's two inputs: the link requests it took in, the clean responses it answered.
    const relay = await scrapeOf('relay')
    expect(sumOf(relay, 'portcullis_stage_messages_total', { stage: 'relay:link' })).toBe(
      answers.length,
    )
    const accepted = answers.length - REFUSED
    expect(sumOf(relay, 'portcullis_stage_messages_total', { stage: 'relay' })).toBe(answers.length)
    const backend = await scrapeOf('backend-demo')
    expect(sumOf(backend, 'portcullis_stage_messages_total', { outcome: 'sent' })).toBe(accepted)
  })

  it('OPS-104 the audit sink counts the events it wrote and shows the chain head', async () => {
    // Each answered request leaves a request and a response event of the relay.
    const until = Date.now() + 20_000
    let sink = await scrapeOf('audit-sink')
    while (
      sumOf(sink, 'portcullis_audit_events_written_total', { stage: 'relay' }) <
        2 * answers.length &&
      Date.now() < until
    ) {
      await new Promise((r) => setTimeout(r, 250))
      sink = await scrapeOf('audit-sink')
    }
    expect(sumOf(sink, 'portcullis_audit_events_written_total', { stage: 'relay' })).toBe(
      2 * answers.length,
    )
    const written = sumOf(sink, 'portcullis_audit_events_written_total')
    expect(sumOf(sink, 'portcullis_audit_chain_head_seq')).toBeGreaterThanOrEqual(written)
  })
})
