/**
 * Prometheus metrics of an on-prem process: one registry per process, with the process's
 * resources (prom-client's default metrics) and the gateway's families, each made on first
 * use so a process shows only what it records. Served as text on `GET /metrics` by
 * `serveMetrics`; `runMain` starts that server when the stack asks for it (`METRICS_ENV`).
 *
 * Names follow what operators know: OpenTelemetry's `http.server.request.duration` becomes
 * `http_server_request_duration_seconds` with its advisory buckets; counters end in `_total`
 * as Kong's `kong_http_requests_total` does; everything of the gateway's own is `portcullis_`.
 */
import { createServer, type Server } from 'node:http'
import { closeServer } from './http.js'
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client'
import { failureReason, SetupError } from '../core/index.js'

/** `host:port` the process serves its metrics on; set by `portcullis up` (port 0: any). */
export const METRICS_ENV = 'PORTCULLIS_METRICS'
/** The line a process prints on stdout with the port its metrics listen on. */
export const METRICS_LINE = 'portcullis:metrics'

/** OpenTelemetry's advisory buckets for `http.server.request.duration`, in seconds. */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]
/** A stage's own work and a bus acknowledgement: finer, they are mostly below 5 ms. */
export const STAGE_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]

let registry: Registry | undefined
const made = new Map<string, unknown>()

/** The process's registry, with its resources and a `component` label on every series. */
export function metricsRegistry(): Registry {
  if (!registry) {
    registry = new Registry()
    collectDefaultMetrics({ register: registry })
  }
  return registry
}

/** Labels every series of this process carries (its component and replica). */
export function setProcessLabels(labels: Record<string, string>): void {
  metricsRegistry().setDefaultLabels(labels)
}

function once<T>(name: string, make: (registers: Registry[]) => T): T {
  let m = made.get(name) as T | undefined
  if (!m) {
    m = make([metricsRegistry()])
    made.set(name, m)
  }
  return m
}

export function counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
  return once(config.name, (registers) => new Counter({ ...config, registers }))
}

export function gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
  return once(config.name, (registers) => new Gauge({ ...config, registers }))
}

export function histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
  return once(config.name, (registers) => new Histogram({ ...config, registers }))
}

export interface MetricsServer {
  port: number
  close(): Promise<void>
}

/** Serves the registry on `GET /metrics` at `host:port` (0: a free port); nothing else. */
export async function serveMetrics(host: string, port: number): Promise<MetricsServer> {
  const reg = metricsRegistry()
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end()
      return
    }
    reg.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': reg.contentType })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`metrics failed: ${failureReason(e)}\n`)
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') {
    throw new Error('unreachable: a TCP listener has a port')
  }
  server.unref()
  return {
    port: address.port,
    close: () => closeServer(server),
  }
}

/** Parses `METRICS_ENV` (`host:port`, IPv6 in brackets); undefined when unset. */
export function metricsAddressOf(
  value: string | undefined,
): { host: string; port: number } | undefined {
  if (!value) return undefined
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value)
  const port = m ? Number(m[2]) : NaN
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new SetupError('ENV_INVALID', `${METRICS_ENV}: bad address ${value} (host:port)`)
  }
  return { host: m[1]!, port }
}
