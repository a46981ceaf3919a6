/**
 * A record as an OpenTelemetry log record: the short line as body, every field as a
 * `portcullis.*` attribute, the severity of the verdict, the record's own time.
 */
import { SeverityNumber, type LogAttributes, type LogRecord } from '@opentelemetry/api-logs'
import { escapeMsg } from './rfc5424.js'
import { recordFields, recordTime, severityOf, summaryLine, type Severity } from './record.js'
import type { MirrorRecord } from './types.js'

/** Attribute names; `time` is the record's timestamp, not an attribute. */
export const EVENT_ATTRIBUTES: Record<string, string> = {
  id: 'portcullis.event_id',
  requestId: 'portcullis.request_id',
  stage: 'portcullis.stage',
  component: 'portcullis.component',
  verdict: 'portcullis.verdict',
  code: 'portcullis.code',
  reason: 'portcullis.reason',
  method: 'portcullis.method',
  host: 'portcullis.host',
  port: 'portcullis.port',
  path: 'portcullis.path',
  status: 'portcullis.status',
  latencyMs: 'portcullis.latency_ms',
  actor: 'portcullis.actor',
  bodyDigest: 'portcullis.body_digest',
}

export const CHECKPOINT_ATTRIBUTES: Record<string, string> = {
  seq: 'portcullis.checkpoint.seq',
  hash: 'portcullis.checkpoint.hash',
  keyId: 'portcullis.checkpoint.key_id',
  signature: 'portcullis.checkpoint.signature',
}

/** Syslog severities on OpenTelemetry's scale (its mapping puts syslog's notice at INFO2). */
const SEVERITY: Record<Severity, { number: SeverityNumber; text: string }> = {
  info: { number: SeverityNumber.INFO, text: 'INFO' },
  notice: { number: SeverityNumber.INFO2, text: 'NOTICE' },
  warning: { number: SeverityNumber.WARN, text: 'WARN' },
  err: { number: SeverityNumber.ERROR, text: 'ERROR' },
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/

/**
 * `[seconds, nanoseconds]` of an ISO 8601 time, every fraction digit kept (checkpoint times
 * carry microseconds, which a Date would lose).
 */
export function hrTimeOf(time: string | undefined): [number, number] | undefined {
  if (time === undefined) return undefined
  const m = ISO.exec(time)
  if (!m) return undefined
  const ms = Date.parse(`${m[1]}${m[3]}`)
  if (Number.isNaN(ms)) return undefined
  return [Math.floor(ms / 1000), Number((m[2] ?? '').padEnd(9, '0'))]
}

export function toLogRecord(record: MirrorRecord): LogRecord {
  const names = record.kind === 'event' ? EVENT_ATTRIBUTES : CHECKPOINT_ATTRIBUTES
  const attributes: LogAttributes = {}
  for (const [field, value] of recordFields(record)) {
    const name = names[field]
    if (name) attributes[name] = value
  }
  const severity = SEVERITY[severityOf(record)]
  const log: LogRecord = {
    eventName: record.kind === 'event' ? 'portcullis.audit' : 'portcullis.checkpoint',
    severityNumber: severity.number,
    severityText: severity.text,
    body: escapeMsg(summaryLine(record)),
    attributes,
  }
  const time = hrTimeOf(recordTime(record))
  if (time) log.timestamp = time
  return log
}
