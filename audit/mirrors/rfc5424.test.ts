import { describe, expect, it } from 'vitest'
import type { AuditEvent } from '../../core/audit/index.js'
import {
  escapeParamValue,
  formatSyslogMessage,
  frameOctetCounted,
  headerField,
  parseStructuredData,
  parseSyslogMessage,
  sdName,
  timestamp,
  utf8Prefix,
} from './rfc5424.js'
import type { MirrorRecord } from './types.js'

const HEADER = { hostname: 'gw-1', appName: 'portcullis', procId: '4242' }

const EVENT: AuditEvent = {
  id: 'ev-1',
  time: '2026-03-01T12:00:00.123Z',
  requestId: 'req-1',
  stage: 'request-validator',
  component: 'request-validator',
  verdict: 'reject',
  code: 'BODY_SCHEMA_VIOLATION',
  reason: 'quantity must be >= 1',
  method: 'POST',
  host: 'demo',
  port: 443,
  path: '/orders',
  status: 400,
  latencyMs: 1.5,
  actor: 'alice',
  bodyDigest: 'sha256:' + 'ab'.repeat(32),
}

const event = (over: Partial<AuditEvent> = {}): MirrorRecord => ({
  kind: 'event',
  event: { ...EVENT, ...over },
})

const text = (record: MirrorRecord, max = 2048) =>
  formatSyslogMessage(record, HEADER, max).toString('utf8')

describe('RFC 5424 formatting', () => {
  it('writes PRI from facility 13 and the verdict, VERSION 1 and the header fields', () => {
    const m = parseSyslogMessage(text(event()))
    expect(m).toMatchObject({
      pri: 13 * 8 + 4,
      version: 1,
      timestamp: '2026-03-01T12:00:00.123Z',
      hostname: 'gw-1',
      appName: 'portcullis',
      procId: '4242',
      msgId: 'audit',
    })
    expect(parseSyslogMessage(text(event({ verdict: 'accept' }))).pri).toBe(110)
    expect(parseSyslogMessage(text(event({ verdict: 'error' }))).pri).toBe(107)
    const checkpoint = parseSyslogMessage(
      text({
        kind: 'checkpoint',
        checkpoint: {
          seq: 7,
          hash: 'f'.repeat(64),
          time: '2026-03-01T12:00:01.123456Z',
          keyId: 'k1',
          signature: 'c2ln',
        },
      }),
    )
    expect(checkpoint).toMatchObject({
      pri: 109,
      msgId: 'checkpoint',
      timestamp: '2026-03-01T12:00:01.123456Z',
    })
    expect(checkpoint.structuredData[0]!.params).toEqual({
      seq: '7',
      hash: 'f'.repeat(64),
      time: '2026-03-01T12:00:01.123456Z',
      keyId: 'k1',
      signature: 'c2ln',
    })
  })

  it('carries every event field as an SD-PARAM of one portcullis@32473 element', () => {
    const m = parseSyslogMessage(text(event()))
    expect(m.structuredData).toHaveLength(1)
    expect(m.structuredData[0]!.id).toBe('portcullis@32473')
    const expected = Object.fromEntries(Object.entries(EVENT).map(([k, v]) => [k, String(v)]))
    expect(m.structuredData[0]!.params).toEqual(expected)
    expect(m.msg).toBe(
      'reject request-validator BODY_SCHEMA_VIOLATION POST demo:443/orders status=400 1.5ms request=req-1',
    )
  })

  it('leaves out fields that are absent or of no usable type', () => {
    const record = event({
      reason: undefined,
      port: Number.NaN,
      actor: { x: 1 } as unknown as string,
    })
    const params = parseSyslogMessage(text(record)).structuredData[0]!.params
    expect(params).not.toHaveProperty('reason')
    expect(params).not.toHaveProperty('port')
    expect(params).not.toHaveProperty('actor')
  })

  it('escapes ", \\ and ] as RFC 5424 says, and control characters besides', () => {
    expect(escapeParamValue('a"b\\c]d')).toBe('a\\"b\\\\c\\]d')
    expect(escapeParamValue('l1\nl2\r\tx\u0000\u001b\u007f\u0085\u2028')).toBe(
      'l1\\nl2\\r\\tx\\u0000\\u001b\\u007f\\u0085\\u2028',
    )
    expect(escapeParamValue('[ok] = "fine" é ☃')).toBe('[ok\\] = \\"fine\\" é ☃')
  })

  it('AUD-201 a field with "]" and newlines cannot forge a second SD element or a second syslog line', () => {
    const forged =
      'x"] [evil@1 verdict="accept"]\n<110>1 2026-03-01T12:00:00Z gw portcullis 1 audit [portcullis@32473 verdict="accept"] ok\r\\'
    const record = event({ reason: forged, path: '/a]b"\\', actor: ']\n]' })
    const out = text(record)
    expect(out).not.toMatch(/[\r\n\u0000]/)
    const m = parseSyslogMessage(out)
    expect(m.structuredData).toHaveLength(1)
    expect(m.structuredData[0]!.params).toMatchObject({
      reason: forged,
      path: '/a]b"\\',
      actor: ']\n]',
      verdict: 'reject',
    })
    // Only the one element opens: every "[" inside it is inside a quoted value.
    const sd = out.slice(out.indexOf('[portcullis@32473'), out.length - m.msg.length - 1)
    expect(parseStructuredData(sd).length).toBe(sd.length)
  })

  it('reads back any value exactly as it was written', () => {
    const samples = [
      '',
      '\\',
      '\\n',
      '\\\\"',
      '\\u0041',
      '\n',
      'é\u2029\\]',
      '"""',
      ']]]',
      'a\\\nb',
    ]
    let seed = 7
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const alphabet = ['\\', '"', ']', '[', '\n', '\r', 'u', '0', 'a', ' ', '=', 'é', '\u0001']
    for (let i = 0; i < 200; i++) {
      let s = ''
      for (let j = 0; j < 12; j++) s += alphabet[Math.floor(rand() * alphabet.length)]
      samples.push(s)
    }
    for (const value of samples) {
      const m = parseSyslogMessage(text(event({ reason: value })))
      expect(m.structuredData[0]!.params.reason).toBe(value)
    }
  })

  it('sanitises header fields: printable ASCII only, bounded, "-" when empty', () => {
    expect(headerField('my host\n', 255)).toBe('my_host_')
    expect(headerField('', 48)).toBe('-')
    expect(headerField('café', 48)).toBe('caf_')
    expect(headerField('a'.repeat(60), 48)).toBe('a'.repeat(48))
    const m = parseSyslogMessage(
      formatSyslogMessage(
        event(),
        { hostname: '', appName: 'audit app\r\n', procId: ' ' },
        2048,
      ).toString(),
    )
    expect(m).toMatchObject({ hostname: '-', appName: 'audit_app__', procId: '_' })
    expect(sdName('a b=c]d"e' + 'x'.repeat(40))).toHaveLength(32)
    expect(sdName('a b=c]d"e')).toBe('a_b_c_d_e')
  })

  it('writes an RFC 3339 TIMESTAMP, or "-" when the time is not one', () => {
    expect(timestamp('2026-03-01T12:00:00.123Z')).toBe('2026-03-01T12:00:00.123Z')
    expect(timestamp('2026-03-01T12:00:00+02:00')).toBe('2026-03-01T12:00:00+02:00')
    expect(timestamp('Sun, 01 Mar 2026 12:00:00 GMT')).toBe('2026-03-01T12:00:00.000Z')
    expect(timestamp('yesterday')).toBe('-')
    expect(timestamp(undefined)).toBe('-')
  })

  it('cuts MSG to the size bound at a character boundary, never the SD', () => {
    const long = event({ path: '/' + '☃'.repeat(400) })
    const full = formatSyslogMessage(long, HEADER, 100_000)
    const sdEnd = full.indexOf(']', full.lastIndexOf('bodyDigest=')) + 1
    for (const max of [sdEnd + 5, sdEnd + 50, sdEnd + 101, sdEnd + 102, sdEnd + 103]) {
      const out = formatSyslogMessage(long, HEADER, max)
      expect(out.length).toBeLessThanOrEqual(max)
      const m = parseSyslogMessage(out.toString('utf8'))
      expect(out.toString('utf8')).not.toContain('\ufffd')
      expect(m.msg.endsWith('...')).toBe(true)
      expect(m.structuredData[0]!.params.path).toBe('/' + '☃'.repeat(400))
    }
    // No room for MSG: it is left out; the SD goes whole even past the bound.
    const tight = formatSyslogMessage(long, HEADER, 64)
    expect(tight.equals(full.subarray(0, sdEnd))).toBe(true)
    expect(parseSyslogMessage(tight.toString()).msg).toBe('')
  })

  it('frames with RFC 6587 octet counting, the length in octets', () => {
    const msg = Buffer.from('<110>1 - - - - - - é☃')
    expect(frameOctetCounted(msg).toString()).toBe(`${msg.length} <110>1 - - - - - - é☃`)
    expect(msg.length).toBe(24)
  })

  it('cuts UTF-8 only between characters', () => {
    const b = Buffer.from('a☃b')
    expect(utf8Prefix(b, 2).toString()).toBe('a')
    expect(utf8Prefix(b, 4).toString()).toBe('a☃')
    expect(utf8Prefix(b, 10)).toBe(b)
  })
})
