/**
 * The audit trail's log mirrors: copies of every written event and signed checkpoint, sent
 * to syslog (RFC 5424 over UDP or TCP) and to an OTLP/HTTP logs endpoint. Best effort by
 * design: the store is the record; a mirror never blocks or fails the sink, it queues (bounded,
 * oldest dropped first), retries with backoff, and counts what it could not deliver.
 */
import { checkMirrorConfig, queueSizeOf, resolveTuning } from './options.js'
import { OtlpMirror } from './otlp.js'
import { TcpSyslogMirror } from './syslog-tcp.js'
import { UdpSyslogMirror } from './syslog-udp.js'
import type {
  AuditMirror,
  AuditMirrors,
  MirrorConfig,
  MirrorName,
  MirrorRecord,
  MirrorStats,
  MirrorTuning,
} from './types.js'

export type {
  AuditMirror,
  AuditMirrors,
  MirrorCheckpoint,
  MirrorConfig,
  MirrorName,
  MirrorRecord,
  MirrorStats,
  MirrorTuning,
  OtlpMirrorConfig,
  SyslogMirrorConfig,
} from './types.js'
export { MirrorError, MIRROR_ERROR_CODES, type MirrorErrorCode } from './errors.js'
export {
  formatSyslogMessage,
  frameOctetCounted,
  parseStructuredData,
  parseSyslogMessage,
  SyslogParseError,
  type ParsedSyslogMessage,
  type SdElement,
} from './rfc5424.js'
export { SD_ID } from './constants.js'
export { CHECKPOINT_ATTRIBUTES, EVENT_ATTRIBUTES } from './otlp-record.js'

/**
 * Opens the mirrors the config names (none: a set that takes and drops nothing). Throws
 * `MirrorError` (`MIRROR_OPTIONS_INVALID`) on a wrong option; never throws after that.
 */
export function openMirrors(config: MirrorConfig, tuning?: MirrorTuning): AuditMirrors {
  checkMirrorConfig(config)
  const resolved = resolveTuning(tuning)
  const size = queueSizeOf(config)
  const mirrors: AuditMirror[] = []
  if (config.syslog) {
    mirrors.push(
      config.syslog.transport === 'tcp'
        ? new TcpSyslogMirror(config.syslog, size, resolved)
        : new UdpSyslogMirror(config.syslog, size, resolved),
    )
  }
  if (config.otlp) mirrors.push(new OtlpMirror(config.otlp, size, resolved))
  return mirrorSet(mirrors)
}

function mirrorSet(mirrors: readonly AuditMirror[]): AuditMirrors {
  return {
    mirrors,
    send(record: MirrorRecord) {
      for (const m of mirrors) m.send(record)
    },
    stats() {
      const total: MirrorStats = { sent: 0, dropped: 0, failed: 0, queued: 0 }
      for (const m of mirrors) {
        const s = m.stats()
        total.sent += s.sent
        total.dropped += s.dropped
        total.failed += s.failed
        total.queued += s.queued
      }
      return total
    },
    statsByMirror() {
      const out: Partial<Record<MirrorName, MirrorStats>> = {}
      for (const m of mirrors) out[m.name] = m.stats()
      return out
    },
    async flush(timeoutMs: number) {
      const drained = await Promise.all(mirrors.map((m) => m.flush(timeoutMs)))
      return drained.every(Boolean)
    },
    async close() {
      await Promise.all(mirrors.map((m) => m.close()))
    },
  }
}
