/**
 * The mirrors' options, checked at start: a wrong one throws `MIRROR_OPTIONS_INVALID`
 * naming the key (never a header value), before any socket is opened.
 */
import { hostname } from 'node:os'
import {
  DEFAULT_BACKOFF,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_OTLP_BATCH_DELAY_MS,
  DEFAULT_QUEUE,
} from './constants.js'
import { MirrorError } from './errors.js'
import type { MirrorConfig, MirrorTuning, ResolvedTuning } from './types.js'

function invalid(message: string): never {
  throw new MirrorError('MIRROR_OPTIONS_INVALID', message)
}

const positiveInt = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v > 0

export function checkMirrorConfig(config: MirrorConfig): void {
  if (typeof config !== 'object' || config === null) invalid('mirror options must be an object')
  if (config.mirrorQueue !== undefined && !positiveInt(config.mirrorQueue))
    invalid('mirrorQueue must be a positive integer')
  const { syslog, otlp } = config
  if (syslog !== undefined) {
    if (typeof syslog.host !== 'string' || syslog.host === '')
      invalid('syslog.host must be a non-empty string')
    if (!positiveInt(syslog.port) || syslog.port > 65_535)
      invalid('syslog.port must be an integer from 1 to 65535')
    if (syslog.transport !== 'udp' && syslog.transport !== 'tcp')
      invalid('syslog.transport must be "udp" or "tcp"')
    if (typeof syslog.appName !== 'string') invalid('syslog.appName must be a string')
  }
  if (otlp !== undefined) {
    let url: URL | undefined
    try {
      url = new URL(otlp.url)
    } catch {
      // named below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      invalid('otlp.url must be an http:// or https:// URL')
    if (url.username || url.password)
      invalid('otlp.url must not carry credentials: put them in otlp.headers')
    if (!positiveInt(otlp.timeoutMs)) invalid('otlp.timeoutMs must be a positive integer')
    if (otlp.headers !== undefined) {
      if (typeof otlp.headers !== 'object' || otlp.headers === null)
        invalid('otlp.headers must be an object of strings')
      for (const [name, value] of Object.entries(otlp.headers)) {
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
          invalid(`otlp.headers has an invalid header name`)
        if (typeof value !== 'string' || /[\r\n\0]/.test(value))
          invalid(`otlp.headers.${name} must be a string on one line`)
      }
    }
  }
}

export function queueSizeOf(config: MirrorConfig): number {
  return config.mirrorQueue ?? DEFAULT_QUEUE
}

export function resolveTuning(tuning: MirrorTuning = {}): ResolvedTuning {
  const backoff = tuning.backoff ?? DEFAULT_BACKOFF
  if (
    !positiveInt(backoff.initialMs) ||
    !positiveInt(backoff.maxMs) ||
    backoff.maxMs < backoff.initialMs
  )
    invalid('backoff needs positive integers initialMs <= maxMs')
  const maxMessageBytes = tuning.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  if (!positiveInt(maxMessageBytes)) invalid('maxMessageBytes must be a positive integer')
  const connectTimeoutMs = tuning.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  if (!positiveInt(connectTimeoutMs)) invalid('connectTimeoutMs must be a positive integer')
  const batchDelayMs = tuning.batchDelayMs ?? DEFAULT_OTLP_BATCH_DELAY_MS
  if (!positiveInt(batchDelayMs)) invalid('batchDelayMs must be a positive integer')
  return {
    hostname: tuning.hostname ?? hostname(),
    procId: tuning.procId ?? String(process.pid),
    maxMessageBytes,
    backoff,
    connectTimeoutMs,
    batchDelayMs,
    onError: tuning.onError ?? (() => {}),
  }
}
