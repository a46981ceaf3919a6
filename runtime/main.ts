/**
 * The life of an on-prem process: start, announce readiness on stdout, stop cleanly on
 * SIGINT/SIGTERM, and exit non-zero with one clear line when starting fails.
 */
import { createLogger, type Logger } from './log.js'
import {
  METRICS_ENV,
  METRICS_LINE,
  metricsAddressOf,
  serveMetrics,
  setProcessLabels,
  type MetricsServer,
} from './metrics.js'
import { setupFailureFields } from './start-failure.js'
import { failureReason } from '../core/index.js'

/** The line a process prints on stdout once it serves; `portcullis up` waits for it. */
export const READY_LINE = 'portcullis:ready'
/**
 * Set by `portcullis up` to its own pid: a stage whose parent is no longer that process (its
 * supervisor was killed and it was handed to init) stops, rather than hold its ports and
 * consumer slot with nobody to stop it.
 */
export const SUPERVISOR_PID_ENV = 'PORTCULLIS_SUPERVISOR_PID'
const SUPERVISOR_CHECK_MS = 1_000

export interface Running {
  stop(): Promise<void>
}

export async function runMain(
  component: string,
  start: (log: Logger) => Promise<Running>,
): Promise<void> {
  const log = createLogger()
  let running: Running
  let metrics: MetricsServer | undefined
  try {
    const address = metricsAddressOf(process.env[METRICS_ENV])
    if (address) {
      setProcessLabels({ component })
      metrics = await serveMetrics(address.host, address.port)
      process.stdout.write(`${METRICS_LINE} ${metrics.port}\n`)
    }
    running = await start(log)
  } catch (e) {
    log.error('start-failed', { component, ...setupFailureFields(e) })
    process.exit(1)
  }
  process.stdout.write(`${READY_LINE} ${component}\n`)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('stopping', { signal })
    const timer = setTimeout(() => process.exit(1), 5000)
    timer.unref()
    try {
      await running.stop()
      await metrics?.close()
    } catch (e) {
      log.warn('stop-failed', { reason: failureReason(e) })
    }
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
  // SIGHUP reloads a process that follows its config (live-config.ts); any other ignores it
  // rather than die of it.
  process.on('SIGHUP', () => {
    if (process.listenerCount('SIGHUP') === 1) {
      log.info('reload-ignored', { reason: 'this process holds no policy to reload' })
    }
  })
  const supervisor = Number(process.env[SUPERVISOR_PID_ENV])
  if (Number.isInteger(supervisor) && supervisor > 0) {
    setInterval(() => {
      if (process.ppid !== supervisor) void stop('supervisor-gone')
    }, SUPERVISOR_CHECK_MS).unref()
  }
}
