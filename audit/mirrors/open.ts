/** `openMirrors`: the mirrors the config names, as one set that fans every record out. */
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
