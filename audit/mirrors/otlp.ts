/**
 * OTLP logs over HTTP (JSON), through the OpenTelemetry SDK: a LoggerProvider whose
 * BatchLogRecordProcessor (queue `mirrorQueue`, export timeout `timeoutMs`) feeds the
 * official OTLP/HTTP exporter, which retries a failed request within that timeout.
 *
 * The SDK's processor drops the newest record when full and forgets a batch it could not
 * export; the mirror's contract is to drop the oldest and to keep trying. So records wait in
 * the mirror's own bounded queue and are emitted into the SDK only while it holds fewer than
 * a window of them (it never fills, so it never drops); the exporter's answer for each batch
 * is seen by a wrapper, and a failed batch goes back to the front of the queue after a
 * backoff. A tracking processor placed before the batch one maps each SDK log record back to
 * the mirror record it came from.
 */
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import type { Logger } from '@opentelemetry/api-logs'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type LogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs'
import { OTLP_BATCH_MAX, OTLP_SCOPE, OTLP_SERVICE_NAME } from './constants.js'
import { QueuedMirror } from './queued-mirror.js'
import { toLogRecord } from './otlp-record.js'
import type { MirrorRecord, OtlpMirrorConfig, ResolvedTuning } from './types.js'

type ExportCallback = Parameters<LogRecordExporter['export']>[1]
type ExportResult = Parameters<ExportCallback>[0]
/** `ExportResultCode.SUCCESS` of @opentelemetry/core. */
const EXPORT_SUCCESS = 0

/**
 * A collector that answered 4xx (other than 408 and 429) refuses the request itself: the
 * same batch would be refused again, so it is dropped rather than retried for ever.
 */
function refusedForGood(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'number' && code >= 400 && code < 500 && code !== 408 && code !== 429
}

export class OtlpMirror extends QueuedMirror {
  readonly name = 'otlp' as const
  private readonly provider: LoggerProvider
  private readonly logger: Logger
  /** SDK log records emitted and not yet settled by an export, to the records they came from. */
  private readonly emitted = new Map<object, MirrorRecord>()
  private readonly window: number
  private emitting: MirrorRecord | undefined
  private tracked = false

  constructor(
    private readonly target: OtlpMirrorConfig,
    queueSize: number,
    tuning: ResolvedTuning,
  ) {
    super(queueSize, tuning)
    const batchMax = Math.min(OTLP_BATCH_MAX, queueSize)
    this.window = Math.min(queueSize, 2 * batchMax)
    const exporter = new OTLPLogExporter({
      url: target.url,
      headers: { ...target.headers },
      timeoutMillis: target.timeoutMs,
    })
    const settling: LogRecordExporter = {
      export: (logs, done) =>
        exporter.export(logs, (result) => {
          this.settle(logs, result)
          done(result)
        }),
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush(),
    }
    const tracking: LogRecordProcessor = {
      onEmit: (log) => {
        if (!this.emitting) return
        this.emitted.set(log, this.emitting)
        this.tracked = true
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    }
    const batching = new BatchLogRecordProcessor({
      exporter: settling,
      maxQueueSize: queueSize,
      maxExportBatchSize: batchMax,
      exportTimeoutMillis: target.timeoutMs,
      scheduledDelayMillis: tuning.batchDelayMs,
    })
    this.provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': OTLP_SERVICE_NAME }),
      processors: [tracking, batching],
    })
    this.logger = this.provider.getLogger(OTLP_SCOPE)
  }

  protected inFlight(): number {
    return this.emitted.size
  }

  protected pump(): void {
    while (this.queue.length > 0 && this.emitted.size < this.window && !this.closed) {
      const record = this.queue.shift()!
      this.emitting = record
      this.tracked = false
      try {
        this.logger.emit(toLogRecord(record))
        if (!this.tracked) this.lost(1, new Error('the OTLP logger did not take a record'))
      } catch (e) {
        this.lost(1, e)
      } finally {
        this.emitting = undefined
      }
    }
  }

  private settle(logs: readonly ReadableLogRecord[], result: ExportResult): void {
    const records: MirrorRecord[] = []
    for (const log of logs) {
      const record = this.emitted.get(log)
      if (!record) continue
      this.emitted.delete(log)
      records.push(record)
    }
    if (result.code === EXPORT_SUCCESS) {
      this.delivered(records.length)
      this.schedulePump()
    } else if (this.closed || refusedForGood(result.error)) {
      this.lost(records.length, result.error ?? new Error('OTLP export refused'))
      this.schedulePump()
    } else {
      this.retryLater(
        records,
        result.error ?? new Error(`OTLP export to ${this.target.url} failed`),
      )
    }
  }

  protected async stop(): Promise<void> {
    // One last export of what the SDK holds, bounded by the export timeout.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.provider.shutdown().catch(() => {}),
      new Promise<void>((r) => (timer = setTimeout(r, this.target.timeoutMs))),
    ])
    clearTimeout(timer)
    this.lost(this.emitted.size)
    this.emitted.clear()
  }
}
