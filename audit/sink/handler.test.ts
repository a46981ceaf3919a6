import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { subjects, type AuditEvent } from '../../core/index.js'
import { parseConfig } from '../../config/index.js'
import { describeTopology, type TopologyConfig } from '../../topology/index.js'
import { rowOfEvent } from '../store/index.js'
import { AUDIT_EVENT_INVALID, QUOTE_MAX } from './constants.js'
import { createAuditReader, quote, stagesOf, type AuditMessage } from './handler.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const configOf = (topology: 'isolated' | 'single-validation'): TopologyConfig =>
  parseConfig(
    {
      topology,
      edge: { id: 'local', peers: ['paris'] },
      upstreams: { demo: { baseUrl: 'http://127.0.0.1:8790', openapi: 'demo/openapi.json' } },
    },
    `${ROOT}portcullis.config.json`,
  )
const isolated = describeTopology(configOf('isolated'))
const readAll = createAuditReader(isolated)
/** The one event a message that carries one event becomes. */
function read(msg: AuditMessage): AuditEvent {
  const events = readAll(msg)
  expect(events).toHaveLength(1)
  return events[0]!
}

const RID = '0123456789abcdef0123456789abcdef'
const STORED_AT = 1_767_225_600_123_456_789n // 2026-01-01T00:00:00.123456789Z
const encode = (v: unknown) =>
  new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))

function eventOf(identity: string, stage: AuditEvent['stage'], extra: object = {}): object {
  return {
    id: `${RID}/${identity}/request`,
    time: '2026-01-01T00:00:00.100Z',
    requestId: RID,
    stage,
    component: identity,
    verdict: 'accept',
    method: 'POST',
    host: 'demo',
    port: 443,
    path: '/orders',
    status: 200,
    ...extra,
  }
}

function message(
  identity: string,
  payload: unknown,
  over: Partial<AuditMessage> = {},
): AuditMessage {
  return {
    subject: subjects.audit(identity),
    data: payload instanceof Uint8Array ? payload : encode(payload),
    bus: 'dreq',
    streamSeq: 7,
    storedAtNanos: STORED_AT,
    ...over,
  }
}

/** The reader's answer for a message it must refuse, checked for what every refusal shares. */
function refused(msg: AuditMessage): AuditEvent {
  const event = read(msg)
  expect(event).toMatchObject({
    id: `invalid/${msg.bus}/${msg.streamSeq}/${msg.storedAtNanos}`,
    verdict: 'error',
    code: AUDIT_EVENT_INVALID,
  })
  // The refusal itself is always something the store keeps as it is.
  expect(rowOfEvent(event, 'audit-sink')).not.toHaveProperty('problem')
  return event
}

describe('stagesOf', () => {
  it('gives each kind its own stage, and a validating backend all three it runs', () => {
    expect(stagesOf('edge', isolated)).toEqual(['edge'])
    expect(stagesOf('relay', isolated)).toEqual(['relay'])
    expect(stagesOf('request-validator', isolated)).toEqual(['request-validator'])
    expect(stagesOf('backend', isolated)).toEqual(['backend'])
    expect(stagesOf('response-validator', isolated)).toEqual(['response-validator'])
    expect(stagesOf('backend', { mode: 'single-validation' })).toEqual([
      'request-validator',
      'backend',
      'response-validator',
    ])
    expect(stagesOf('audit-sink', isolated)).toEqual([])
    expect(stagesOf('admin', isolated)).toEqual([])
  })
})

describe('createAuditReader', () => {
  it('AUD-117 a list of events is read entry by entry: a bad entry becomes an invalid event of its sender, the others are kept', () => {
    const good = (step: string) => eventOf('relay', 'relay', { id: `${RID}/relay/${step}` })
    const forged = eventOf('relay', 'relay', { id: `${RID}/request-validator/request` })
    const events = readAll(message('relay', [good('a'), forged, 'nonsense', good('b')]))
    expect(events).toHaveLength(4)
    expect(events[0]).toEqual(good('a'))
    expect(events[3]).toEqual(good('b'))
    const base = `invalid/dreq/7/${STORED_AT}`
    expect(events[1]).toMatchObject({ id: `${base}/1`, component: 'relay', requestId: RID })
    expect(events[1]!.reason).toMatch(/not one of its own/)
    expect(events[2]).toMatchObject({ id: `${base}/2`, code: AUDIT_EVENT_INVALID, requestId: '-' })
    for (const e of events) expect(rowOfEvent(e, 'audit-sink')).not.toHaveProperty('problem')
  })

  it('AUD-118 an empty list, or one longer than a message may carry, is one invalid event', () => {
    refused(message('relay', []))
    const many = Array.from({ length: 257 }, (_, i) =>
      eventOf('relay', 'relay', { id: `${RID}/relay/${i}` }),
    )
    refused(message('relay', many))
    expect(readAll(message('relay', many.slice(0, 256)))).toHaveLength(256)
  })

  it('reads an event of each identity as it was sent', () => {
    const cases: [string, AuditEvent['stage']][] = [
      ['edge-local', 'edge'],
      ['edge-paris', 'edge'],
      ['relay', 'relay'],
      ['request-validator', 'request-validator'],
      ['backend-demo', 'backend'],
      ['response-validator', 'response-validator'],
    ]
    for (const [identity, stage] of cases) {
      expect(read(message(identity, eventOf(identity, stage)))).toEqual(eventOf(identity, stage))
    }
  })

  it('AUD-111 an event claiming another component is stored as its publisher, the subject', () => {
    const event = read(
      message('relay', eventOf('relay', 'relay', { component: 'request-validator' })),
    )
    expect(event.component).toBe('relay')
    expect(event.id).toBe(`${RID}/relay/request`)
  })

  it('AUD-112 an id that belongs to another component becomes an invalid event of its sender', () => {
    const forged = eventOf('relay', 'relay', { id: `${RID}/request-validator/request` })
    const event = refused(message('relay', forged))
    expect(event).toMatchObject({ component: 'relay', stage: 'relay', requestId: RID })
    expect(event.reason).toBe(
      `relay sent event id ${RID}/request-validator/request, not one of its own`,
    )
    // Its own prefix with nothing after it, or a request id that is not the event's, neither.
    refused(message('relay', eventOf('relay', 'relay', { id: `${RID}/relay/` })))
    refused(message('relay', eventOf('relay', 'relay', { id: `other-request/relay/request` })))
  })

  it('AUD-113 a stage its publisher does not run becomes an invalid event of the publisher', () => {
    const event = refused(message('relay', eventOf('relay', 'backend')))
    expect(event).toMatchObject({ component: 'relay', stage: 'relay' })
    expect(event.reason).toBe('relay reported stage backend, which it does not run')
    const backend = refused(message('backend-demo', eventOf('backend-demo', 'request-validator')))
    expect(backend).toMatchObject({ component: 'backend-demo', stage: 'backend' })
  })

  it('lets a validating backend (single-validation) report the three stages it runs', () => {
    const singleAll = createAuditReader(describeTopology(configOf('single-validation')))
    const single = (msg: AuditMessage) => singleAll(msg)[0]!
    for (const stage of ['request-validator', 'backend', 'response-validator'] as const) {
      const sent = eventOf('backend-demo', stage, { id: `${RID}/backend-demo/${stage}` })
      expect(single(message('backend-demo', sent))).toEqual(sent)
    }
    expect(single(message('backend-demo', eventOf('backend-demo', 'relay'))).code).toBe(
      AUDIT_EVENT_INVALID,
    )
  })

  it.each([
    ['not JSON', encode('{"id": "x", '), 'relay sent something that is not an audit event'],
    [
      'not UTF-8',
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      'relay sent an event that is not UTF-8',
    ],
    [
      'over 16 KiB',
      encode(eventOf('relay', 'relay', { reason: 'x'.repeat(17 * 1024) })),
      'relay sent something that is not an audit event',
    ],
    [
      'a JSON string',
      encode(JSON.stringify(JSON.stringify(eventOf('relay', 'relay')))),
      'relay sent something that is not an audit event',
    ],
    [
      'an event without an id',
      encode({ ...eventOf('relay', 'relay'), id: undefined }),
      'relay sent something that is not an audit event',
    ],
    [
      'a port that is a string',
      encode(eventOf('relay', 'relay', { port: '443' })),
      'relay sent something that is not an audit event',
    ],
    [
      'an unknown verdict',
      encode(eventOf('relay', 'relay', { verdict: 'allow' })),
      'relay sent something that is not an audit event',
    ],
    ['nothing', new Uint8Array(), 'relay sent something that is not an audit event'],
  ])(
    'AUD-114 a payload that is %s becomes an invalid event naming the sender',
    (_, data, reason) => {
      const event = refused(message('relay', data))
      expect(event).toMatchObject({ component: 'relay', stage: 'relay', requestId: '-', reason })
    },
  )

  it.each([
    ['a NUL in a field', { reason: 'a\u0000b' }, 'reason is not a usable string'],
    ['a lone surrogate', { actor: 'x\ud800' }, 'actor is not a usable string'],
    ['a port of 70000', { port: 70_000 }, 'port is not an integer from 0 to 65535'],
    ['a status of 1000', { status: 1000 }, 'status is not an integer from 0 to 999'],
    ['a time before 1970', { time: '1969-12-31T23:59:59Z' }, 'time is not an ISO 8601 time'],
    [
      'an id of 300 characters',
      { id: `${RID}/relay/${'s'.repeat(260)}` },
      'id is not a usable string',
    ],
  ])(
    'AUD-115 an event with %s, which the store would refuse, becomes an invalid event, not a lost one',
    (_, extra, problem) => {
      const event = refused(message('relay', eventOf('relay', 'relay', extra)))
      expect(event).toMatchObject({ component: 'relay', requestId: RID })
      expect(event.reason).toContain('relay sent an event the trail cannot hold as sent: ')
      expect(event.reason).toContain(problem)
    },
  )

  it('AUD-116 hostile text quoted in a reason cannot make the invalid event itself unstorable', () => {
    // A NUL and a lone surrogate in the id, long enough to be cut among surrogate pairs.
    const id = `x\u0000${'😀'.repeat(QUOTE_MAX)}\udc00`
    const event = refused(message('relay', eventOf('relay', 'relay', { id })))
    expect(event.reason).toContain('x\uFFFD😀')
    expect(event.reason!.endsWith('…, not one of its own')).toBe(true)
    // A subject of no identity, quoted as the component.
    const stray = refused(
      message('relay', eventOf('relay', 'relay'), { subject: 'pc.audit.mallory' }),
    )
    expect(stray).toMatchObject({ component: 'pc.audit.mallory', requestId: '-' })
    expect(stray.reason).toBe("event on pc.audit.mallory, not an identity's audit subject")
    const other = refused(
      message('relay', eventOf('relay', 'relay'), { subject: 'pc.other.relay' }),
    )
    expect(other.component).toBe('pc.other.relay')
  })

  it('names an invalid event by the stream message: the same on redelivery, new for a recreated stream', () => {
    const bad = encode('not json')
    const first = read(message('relay', bad))
    expect(read(message('relay', bad))).toEqual(first)
    expect(first.id).toBe(`invalid/dreq/7/${STORED_AT}`)
    // The stream's time, not the sink's: an event that waited while the sink was down keeps it.
    expect(first.time).toBe('2026-01-01T00:00:00.123Z')
    const recreated = read(message('relay', bad, { storedAtNanos: STORED_AT + 5_000_000_000n }))
    expect(recreated.id).not.toBe(first.id)
    expect(read(message('relay', bad, { bus: 'creq' })).id).not.toBe(first.id)
  })

  it('keeps a request id only when it is one', () => {
    const event = refused(
      message('relay', eventOf('relay', 'backend', { requestId: 'not a request id\u0000' })),
    )
    expect(event.requestId).toBe('-')
  })
})

describe('quote', () => {
  it('cuts at a code point and replaces what no row can hold', () => {
    expect(quote('abc')).toBe('abc')
    expect(quote('a'.repeat(QUOTE_MAX + 1))).toBe(`${'a'.repeat(QUOTE_MAX)}…`)
    expect(quote('😀'.repeat(QUOTE_MAX + 1))).toBe(`${'😀'.repeat(QUOTE_MAX)}…`)
    expect(quote('a\u0000b\ud800c\udfff')).toBe('a\uFFFDb\uFFFDc\uFFFD')
  })
})
