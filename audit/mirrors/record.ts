/**
 * What every mirror reads from a record: its fields in a fixed order, a short human line and
 * a severity. Records come from the sink, typed, but a mirror must not fail on one that is
 * not: a field that is neither a string nor a finite number is left out.
 */
import type { AuditEvent } from '../../core/audit/index.js'
import type { MirrorCheckpoint, MirrorRecord } from './types.js'

export const EVENT_FIELDS = [
  'id',
  'time',
  'requestId',
  'stage',
  'component',
  'verdict',
  'code',
  'reason',
  'method',
  'host',
  'port',
  'path',
  'status',
  'latencyMs',
  'actor',
  'bodyDigest',
] as const satisfies readonly (keyof AuditEvent)[]

/** A field added to `AuditEvent` must be listed above, or this line stops compiling. */
const everyEventFieldListed: Record<
  Exclude<keyof AuditEvent, (typeof EVENT_FIELDS)[number]>,
  never
> = {}
void everyEventFieldListed

export const CHECKPOINT_FIELDS = [
  'seq',
  'hash',
  'time',
  'keyId',
  'signature',
] as const satisfies readonly (keyof MirrorCheckpoint)[]

export type Severity = 'info' | 'warning' | 'err' | 'notice'

/** A field's value as text, or undefined when it is absent or of no usable type. */
export function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/** The record's fields that have a value, in the fixed order, as `[name, value]`. */
export function recordFields(record: MirrorRecord): [name: string, value: string | number][] {
  const source = (record.kind === 'event' ? record.event : record.checkpoint) as unknown as Record<
    string,
    unknown
  >
  const names = record.kind === 'event' ? EVENT_FIELDS : CHECKPOINT_FIELDS
  const out: [string, string | number][] = []
  for (const name of names) {
    const v = source[name]
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) out.push([name, v])
  }
  return out
}

/** The record's own time: the event's decision, or the checkpoint's signing. */
export function recordTime(record: MirrorRecord): string | undefined {
  return fieldText(record.kind === 'event' ? record.event.time : record.checkpoint.time)
}

const VERDICT_SEVERITY: Record<string, Severity> = {
  accept: 'info',
  reject: 'warning',
  error: 'err',
}

export function severityOf(record: MirrorRecord): Severity {
  if (record.kind === 'checkpoint') return 'notice'
  // An unknown verdict is something gone wrong upstream: say so loudly.
  return VERDICT_SEVERITY[String(record.event.verdict)] ?? 'err'
}

/**
 * One short line for people reading the log: `reject request-validator BODY_SCHEMA_VIOLATION
 * POST demo:443/orders status=400 3ms request=r1`. Control characters are left in; each
 * transport escapes them its own way.
 */
export function summaryLine(record: MirrorRecord): string {
  if (record.kind === 'checkpoint') {
    const c = record.checkpoint
    return join([
      'checkpoint',
      tagged('seq', c.seq),
      tagged('hash', c.hash),
      tagged('key', c.keyId),
    ])
  }
  const e = record.event
  const host = fieldText(e.host)
  const port = fieldText(e.port)
  const path = fieldText(e.path)
  const target = host ? `${host}${port ? `:${port}` : ''}${path ?? ''}` : path
  const latency = fieldText(e.latencyMs)
  return join([
    fieldText(e.verdict),
    fieldText(e.stage),
    fieldText(e.code),
    fieldText(e.method),
    target,
    tagged('status', e.status),
    latency && `${latency}ms`,
    tagged('request', e.requestId),
  ])
}

function tagged(name: string, value: unknown): string | undefined {
  const text = fieldText(value)
  return text === undefined ? undefined : `${name}=${text}`
}

function join(parts: (string | undefined)[]): string {
  return parts.filter((p) => p !== undefined && p !== '').join(' ')
}

/** Cheap shape check at `send`: the rest is read defensively when formatting. */
export function isMirrorRecord(value: unknown): value is MirrorRecord {
  if (typeof value !== 'object' || value === null) return false
  const r = value as { kind?: unknown; event?: unknown; checkpoint?: unknown }
  if (r.kind === 'event') return typeof r.event === 'object' && r.event !== null
  if (r.kind === 'checkpoint') return typeof r.checkpoint === 'object' && r.checkpoint !== null
  return false
}
