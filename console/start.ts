/**
 * The console process: serves the page and its API on `console.host:port` (loopback by
 * default), scrapes every process's metrics from the stack's process table, reads the audit
 * trail as `portcullis audit` does and verifies it every `VERIFY_MS`.
 */
import type { LoadedConfig } from '../config/index.js'
import { accessTable, describeTopology } from '../topology/index.js'
import type { Logger, Running } from '../runtime/index.js'
import { auditAccess, type VerifyResult } from './audit.js'
import { tokenCheck } from './auth.js'
import { startCollector } from './collector.js'
import { serveConsole } from './server.js'

const VERIFY_MS = 30_000

export interface ConsoleOptions {
  /** The stack's process table (`<paths.data>/stack.json`). */
  stateFile: string
  token: string
}

export async function startConsole(
  config: LoadedConfig,
  log: Logger,
  options: ConsoleOptions,
): Promise<Running> {
  const authorized = tokenCheck(options.token)
  const topology = accessTable(describeTopology(config)).buses.map((b) => ({
    name: b.name,
    url: b.nodeUrls?.join(', ') ?? b.url,
    jetstream: b.jetstream,
    streams: b.streams.map((x) => ({ name: x.name, consumers: x.consumers.map((c) => c.name) })),
  }))
  const collector = startCollector(
    options.stateFile,
    config.metrics.host === '::' || config.metrics.host === '0.0.0.0'
      ? '127.0.0.1'
      : config.metrics.host,
  )
  const audit = auditAccess(config, process.env)
  let verify: VerifyResult | undefined
  const verifyNow = async () => {
    verify = await audit.verify()
    if (!verify.ok) log.warn('audit-verify-failed', { problem: verify.problem })
  }
  const verifying = setTimeout(() => void verifyNow(), 1_000)
  const verifier = setInterval(() => void verifyNow(), VERIFY_MS)
  verifier.unref()
  verifying.unref()
  const server = await serveConsole(
    {
      authorized,
      overview: () => ({
        summary: collector.summary(),
        history: collector.history(),
        processes: collector.processes().map((p) => ({
          name: p.name,
          component: p.component,
          pid: p.pid,
          state: p.state,
          restarts: p.restarts,
          ...(p.metricsPort && { metricsPort: p.metricsPort }),
        })),
        topology,
        verify,
      }),
      audit: (query) => audit.query(query),
    },
    config.console.host,
    config.console.port,
  )
  log.info('console', { url: `http://${config.console.host}:${server.port}/` })
  return {
    async stop() {
      clearTimeout(verifying)
      clearInterval(verifier)
      collector.stop()
      await server.close()
      await audit.close()
    },
  }
}
