/**
 * The audit trail's log mirrors: copies of every written event and signed checkpoint, sent
 * to syslog (RFC 5424 over UDP or TCP) and to an OTLP/HTTP logs endpoint. Best effort by
 * design: the store is the record; a mirror never blocks or fails the sink, it queues (bounded,
 * oldest dropped first), retries with backoff, and counts what it could not deliver.
 */
export { openMirrors } from './open.js'
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
