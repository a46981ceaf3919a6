import { describe, expect, it } from 'vitest'
import { SeverityNumber } from '@opentelemetry/api-logs'
import type { AuditEvent } from '../../core/audit/index.js'
import { EVENT_FIELDS } from './record.js'
import { EVENT_ATTRIBUTES, hrTimeOf, toLogRecord } from './otlp-record.js'

const EVENT: AuditEvent = {
  id: 'ev-1',
  time: '2026-03-01T12:00:00.123Z',
  requestId: 'req-1',
  stage: 'backend',
  component: 'backend-demo',
  verdict: 'error',
  code: 'UPSTREAM_TIMEOUT',
  reason: 'no answer\nin 5 s',
  method: 'GET',
  host: 'demo',
  port: 443,
  path: '/orders',
  status: 504,
  latencyMs: 5000.25,
  actor: 'alice',
  bodyDigest: 'sha256:00',
}

describe('OTLP log records', () => {
  it('names an attribute for every event field but time, which is the timestamp', () => {
    expect(Object.keys(EVENT_ATTRIBUTES).sort()).toEqual(
      EVENT_FIELDS.filter((f) => f !== 'time').sort(),
    )
  })

  it('maps an event to body, attributes, severity and timestamp', () => {
    const log = toLogRecord({ kind: 'event', event: EVENT })
    expect(log.severityNumber).toBe(SeverityNumber.ERROR)
    expect(log.severityText).toBe('ERROR')
    expect(log.timestamp).toEqual([Date.parse('2026-03-01T12:00:00Z') / 1000, 123_000_000])
    expect(log.body).toBe(
      'error backend UPSTREAM_TIMEOUT GET demo:443/orders status=504 5000.25ms request=req-1',
    )
    expect(log.attributes).toMatchObject({
      'portcullis.event_id': 'ev-1',
      'portcullis.request_id': 'req-1',
      'portcullis.reason': 'no answer\nin 5 s',
      'portcullis.port': 443,
      'portcullis.latency_ms': 5000.25,
    })
    expect(Object.keys(log.attributes!)).toHaveLength(15)
    for (const [verdict, n] of [
      ['accept', SeverityNumber.INFO],
      ['reject', SeverityNumber.WARN],
    ] as const)
      expect(toLogRecord({ kind: 'event', event: { ...EVENT, verdict } }).severityNumber).toBe(n)
  })

  it('maps a checkpoint, keeping the microseconds of its time', () => {
    const log = toLogRecord({
      kind: 'checkpoint',
      checkpoint: {
        seq: 9,
        hash: 'aa',
        time: '2026-03-01T12:00:00.123456Z',
        keyId: 'k',
        signature: 's',
      },
    })
    expect(log.severityNumber).toBe(SeverityNumber.INFO2)
    expect(log.timestamp).toEqual([Date.parse('2026-03-01T12:00:00Z') / 1000, 123_456_000])
    expect(log.attributes).toEqual({
      'portcullis.checkpoint.seq': 9,
      'portcullis.checkpoint.hash': 'aa',
      'portcullis.checkpoint.key_id': 'k',
      'portcullis.checkpoint.signature': 's',
    })
  })

  it('leaves the timestamp out when the time is not ISO 8601', () => {
    expect(hrTimeOf('not a time')).toBeUndefined()
    expect(hrTimeOf('2026-03-01T12:00:00+01:00')).toEqual([
      Date.parse('2026-03-01T11:00:00Z') / 1000,
      0,
    ])
    expect(
      toLogRecord({ kind: 'event', event: { ...EVENT, time: 'nope' } }).timestamp,
    ).toBeUndefined()
  })
})
