import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { AuditEvent } from '../../core/index.js'
import {
  canonicalRow,
  chainRow,
  hashOfRow,
  microsOf,
  millisOf,
  rowOfEvent,
  type UnchainedRow,
} from './canonical.js'
import { GENESIS_HASH } from './constants.js'

const event: AuditEvent = {
  id: 'evt-1',
  time: '2024-05-01T12:00:00.123Z',
  requestId: 'req-1',
  stage: 'request-validator',
  component: 'request-validator',
  verdict: 'reject',
  code: 'BODY_SCHEMA_VIOLATION',
  reason: 'line\n"quoted" \\ é 🙂',
  method: 'POST',
  host: 'demo',
  port: 443,
  path: '/orders',
  status: 400,
  latencyMs: 1.5,
  actor: 'alice',
  bodyDigest: 'sha256:00',
}

function row(e: AuditEvent = event): UnchainedRow {
  const r = rowOfEvent(e, 'audit-sink')
  if ('problem' in r) throw new Error(r.problem)
  return r
}

describe('canonical row encoding', () => {
  it('is the documented JSON array, every field in order, seq included', () => {
    expect(canonicalRow(row(), 7)).toBe(
      '["portcullis-audit-row-v1",7,"evt-1","audit-sink","2024-05-01T12:00:00.123000Z",' +
        '"req-1","request-validator","request-validator","reject","BODY_SCHEMA_VIOLATION",' +
        '"line\\n\\"quoted\\" \\\\ é 🙂","POST","demo",443,"/orders",400,1.5,"alice","sha256:00"]',
    )
  })

  it('writes absent fields as null', () => {
    const bare = row({ ...event, code: undefined, reason: undefined, port: undefined })
    expect(JSON.parse(canonicalRow(bare, 1))).toEqual([
      'portcullis-audit-row-v1',
      1,
      'evt-1',
      'audit-sink',
      '2024-05-01T12:00:00.123000Z',
      'req-1',
      'request-validator',
      'request-validator',
      'reject',
      null,
      null,
      'POST',
      'demo',
      null,
      '/orders',
      400,
      1.5,
      'alice',
      'sha256:00',
    ])
  })

  it('hashes prev_hash, a newline and the encoding, as UTF-8 SHA-256 hex', () => {
    const chained = chainRow(row(), 1, GENESIS_HASH)
    const expected = createHash('sha256')
      .update(Buffer.from(`${'0'.repeat(64)}\n${canonicalRow(row(), 1)}`, 'utf8'))
      .digest('hex')
    expect(chained.hash).toBe(expected)
    // Pinned: a change to the encoding must be a new encoding version, not a silent one.
    expect(chained.hash).toBe('64815a848b9cad2624e263d842d3e98ae6ad1d5bc74ea21f703d4a780a40d10d')
    expect(hashOfRow(chained)).toBe(chained.hash)
  })

  it('changes the hash when any stored field, the seq or the link changes', () => {
    const chained = chainRow(row(), 3, 'a'.repeat(64))
    const changes: Array<Partial<typeof chained>> = [
      { eventId: 'evt-2' },
      { sink: 'other' },
      { time: '2024-05-01T12:00:00.123001Z' },
      { requestId: 'req-2' },
      { stage: 'edge' },
      { component: 'relay' },
      { verdict: 'accept' },
      { code: null },
      { reason: 'other' },
      { method: 'GET' },
      { host: 'other' },
      { port: 80 },
      { path: '/other' },
      { status: 200 },
      { latencyMs: 1.50001 },
      { actor: 'mallory' },
      { bodyDigest: null },
    ]
    for (const change of changes)
      expect(hashOfRow({ ...chained, ...change })).not.toBe(chained.hash)
    expect(hashOfRow(chained, 'b'.repeat(64))).not.toBe(chained.hash)
    expect(hashOfRow(chained, chained.prevHash, 4)).not.toBe(chained.hash)
  })
})

describe('events to rows', () => {
  it('keeps the time to the microsecond as PostgreSQL does, and reads it back', () => {
    expect(microsOf('2024-05-01T12:00:00.123Z')).toBe('2024-05-01T12:00:00.123000Z')
    expect(microsOf('2024-05-01T14:00:00+02:00')).toBe('2024-05-01T12:00:00.000000Z')
    expect(millisOf('2024-05-01T12:00:00.123000Z')).toBe('2024-05-01T12:00:00.123Z')
    expect(microsOf('1969-12-31T23:59:59Z')).toBeUndefined()
    expect(microsOf('+010000-01-01T00:00:00Z')).toBeUndefined()
    expect(microsOf('yesterday')).toBeUndefined()
  })

  it.each([
    ['a NUL in the reason', { reason: 'a\u0000b' }, 'reason'],
    ['a lone surrogate in the path', { path: '/\ud800' }, 'path'],
    ['an empty id', { id: '' }, 'id'],
    ['an id of 257 characters', { id: 'x'.repeat(257) }, 'id'],
    ['a NUL in the request id', { requestId: 'r\u0000' }, 'requestId'],
    ['a time that is not one', { time: 'not a time' }, 'time'],
    ['an unknown stage', { stage: 'kitchen' }, 'stage'],
    ['an unknown verdict', { verdict: 'maybe' }, 'verdict'],
    ['port 70000', { port: 70_000 }, 'port'],
    ['port 1.5', { port: 1.5 }, 'port'],
    ['status -1', { status: -1 }, 'status'],
    ['a NaN latency', { latencyMs: Number.NaN }, 'latencyMs'],
    ['an infinite latency', { latencyMs: Infinity }, 'latencyMs'],
    ['a reason of 70,000 characters', { reason: 'x'.repeat(70_000) }, 'larger'],
  ])('AUD-016 an event it could not store unchanged is refused: %s', (_, change, field) => {
    const r = rowOfEvent({ ...event, ...change } as AuditEvent, 'audit-sink')
    expect('problem' in r && r.problem).toContain(field)
  })

  it('accepts a paired surrogate and any printable text as it is', () => {
    const r = row({ ...event, reason: '🙂 ok \t tab' })
    expect(r.reason).toBe('🙂 ok \t tab')
  })
})
