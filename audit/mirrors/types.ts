import type { AuditEvent } from '../../core/audit/index.js'

/** A signed checkpoint of the chain head, as the store emits it. */
export interface MirrorCheckpoint {
  seq: number
  /** The hash of the chain's row `seq`. */
  hash: string
  time: string
  keyId: string
  signature: string
}

/** What the sink hands a mirror: an event it has written, or a checkpoint it has signed. */
export type MirrorRecord =
  { kind: 'event'; event: AuditEvent } | { kind: 'checkpoint'; checkpoint: MirrorCheckpoint }

export interface MirrorStats {
  /** Records handed to the transport: a datagram sent, a frame taken by the TCP socket, an OTLP export answered 2xx. */
  sent: number
  /** Records lost for good: pushed out of a full queue, refused by the receiver, unformattable, or left at close. */
  dropped: number
  /** Delivery attempts that failed and were put back for another try (one per record per attempt). */
  failed: number
  /** Records held, those on their way included; never more than `mirrorQueue`. */
  queued: number
}

export type MirrorName = 'syslog' | 'otlp'

export interface AuditMirror {
  readonly name: MirrorName
  /** Queues the record and returns at once; never blocks, never throws. */
  send(record: MirrorRecord): void
  stats(): MirrorStats
  /** Waits until nothing is queued, at most `timeoutMs`; true when everything went out. */
  flush(timeoutMs: number): Promise<boolean>
  /** Stops timers and sockets; what is still queued is counted as dropped. */
  close(): Promise<void>
}

/** Every configured mirror behind one face: `send` fans out, `stats` sums. */
export interface AuditMirrors {
  readonly mirrors: readonly AuditMirror[]
  send(record: MirrorRecord): void
  stats(): MirrorStats
  /** Per mirror, by name. */
  statsByMirror(): Partial<Record<MirrorName, MirrorStats>>
  /** True when every mirror drained in time. */
  flush(timeoutMs: number): Promise<boolean>
  close(): Promise<void>
}

export interface SyslogMirrorConfig {
  host: string
  port: number
  transport: 'udp' | 'tcp'
  appName: string
}

export interface OtlpMirrorConfig {
  /** The logs endpoint, used as is (`http://collector:4318/v1/logs`). */
  url: string
  timeoutMs: number
  headers?: Record<string, string>
}

/** The mirror part of the config's `audit` section. */
export interface MirrorConfig {
  syslog?: SyslogMirrorConfig
  otlp?: OtlpMirrorConfig
  /** Records each mirror holds while its receiver is slow or away. */
  mirrorQueue: number
}

/** Settings the config does not carry: defaults fit production, tests shorten them. */
export interface MirrorTuning {
  /** Syslog HOSTNAME (default `os.hostname()`). */
  hostname?: string
  /** Syslog PROCID (default the process id). */
  procId?: string
  /** A syslog message's target size in octets: MSG is cut to fit, the SD never is. */
  maxMessageBytes?: number
  /** Wait before the first retry, doubled per failure up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number }
  /** TCP connect timeout. */
  connectTimeoutMs?: number
  /** How long the OTLP batch processor waits to fill a batch. */
  batchDelayMs?: number
  /** Transport failures no caller waits for; messages hold addresses, never header values. */
  onError?: (mirror: MirrorName, error: Error) => void
}

export interface ResolvedTuning {
  hostname: string
  procId: string
  maxMessageBytes: number
  backoff: { initialMs: number; maxMs: number }
  connectTimeoutMs: number
  batchDelayMs: number
  onError: (mirror: MirrorName, error: Error) => void
}
