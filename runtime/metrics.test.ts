import { afterAll, describe, expect, it } from 'vitest'
import { counter, metricsAddressOf, serveMetrics, type MetricsServer } from './metrics.js'

let server: MetricsServer | undefined
afterAll(async () => {
  await server?.close()
})

describe('metrics endpoint', () => {
  it('serves the registry as Prometheus text on GET /metrics, nothing else', async () => {
    counter({
      name: 'portcullis_test_things_total',
      help: 'things',
      labelNames: ['kind'] as const,
    }).inc({
      kind: 'a',
    })
    server = await serveMetrics('127.0.0.1', 0)
    const base = `http://127.0.0.1:${server.port}`
    const res = await fetch(`${base}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    expect(text).toContain('portcullis_test_things_total{kind="a"} 1')
    expect(text).toContain('process_cpu_seconds_total')
    expect((await fetch(`${base}/`)).status).toBe(404)
    expect((await fetch(`${base}/metrics/../admin`)).status).toBe(404)
    expect((await fetch(`${base}/metrics`, { method: 'DELETE' })).status).toBe(405)
  })

  it('makes a family once per name, so every caller records into the same one', () => {
    const a = counter({ name: 'portcullis_test_once_total', help: 'once' })
    const b = counter({ name: 'portcullis_test_once_total', help: 'once' })
    expect(a).toBe(b)
  })

  it('reads its address from host:port, IPv6 in brackets, and refuses anything else', () => {
    expect(metricsAddressOf(undefined)).toBeUndefined()
    expect(metricsAddressOf('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 })
    expect(metricsAddressOf('[::1]:9464')).toEqual({ host: '::1', port: 9464 })
    expect(() => metricsAddressOf('127.0.0.1')).toThrow(/bad address/)
    expect(() => metricsAddressOf('127.0.0.1:70000')).toThrow(/bad address/)
  })
})
