import { describe, expect, it } from 'vitest'
import {
  childOf,
  continueTrace,
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
} from './index.js'

const ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

describe('traceparent', () => {
  it('parses the W3C example and formats it back', () => {
    const t = parseTraceparent(`00-${ID}-${PARENT}-01`)
    expect(t).toEqual({ traceId: ID, parentId: PARENT, flags: '01' })
    expect(formatTraceparent(t!)).toBe(`00-${ID}-${PARENT}-01`)
  })

  it.each([
    ['TRACE-001 all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['TRACE-002 all-zero parent id', `00-${ID}-${'0'.repeat(16)}-01`],
    ['TRACE-003 uppercase hex', `00-${ID.toUpperCase()}-${PARENT}-01`],
    ['TRACE-004 version ff', `ff-${ID}-${PARENT}-01`],
    ['TRACE-005 version 00 with extra fields', `00-${ID}-${PARENT}-01-extra`],
    ['TRACE-006 short trace id', `00-${ID.slice(1)}-${PARENT}-01`],
    ['TRACE-007 a header injection attempt', `00-${ID}-${PARENT}-01\r\nx-admin: 1`],
    ['TRACE-008 non-hex flags', `00-${ID}-${PARENT}-zz`],
    ['TRACE-009 empty', ''],
  ])('%s is not a traceparent: the edge starts a new trace instead', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined()
    const t = continueTrace(value, 'vendor=x')
    expect(t.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(t.traceId).not.toBe(ID)
    expect(t.state).toBeUndefined()
  })

  it('accepts a later version by its first four fields', () => {
    expect(parseTraceparent(`01-${ID}-${PARENT}-01-whatever`)).toEqual({
      traceId: ID,
      parentId: PARENT,
      flags: '01',
    })
  })

  it('continues a client trace with the edge as the new parent, and each hop as the next', () => {
    const t = continueTrace(`00-${ID}-${PARENT}-01`, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
    expect(t.traceId).toBe(ID)
    expect(t.parentId).not.toBe(PARENT)
    expect(t.state).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
    const next = childOf(t)
    expect(next.traceId).toBe(ID)
    expect(next.parentId).not.toBe(t.parentId)
    expect(next.state).toBe(t.state)
  })
})

describe('tracestate', () => {
  it.each([
    ['TRACE-010 more than 512 bytes', `a=${'x'.repeat(511)}`],
    ['TRACE-011 more than 32 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
    ['TRACE-012 a repeated key', 'a=1,a=2'],
    ['TRACE-013 a key with uppercase', 'Vendor=1'],
    ['TRACE-014 a value with a comma or equals sign', 'a=b=c'],
    ['TRACE-015 control characters', 'a=b\u0000'],
  ])('%s is dropped', (_, value) => {
    expect(parseTracestate(value)).toBeUndefined()
  })

  it('keeps a well-formed list, multi-tenant keys included', () => {
    expect(parseTracestate('rojo=1, t61@congo=x ')).toBe('rojo=1,t61@congo=x')
  })
})
