import { describe, expect, it } from 'vitest'
import type { RequestContext } from '../../core/index.js'
import { auditEventOf, type AuditRecord } from '../../bus/audit.js'
import { IntakeLedger, LEDGER_GRACE_MS, LEDGER_MAX_ENTRIES } from './intake-ledger.js'
import { INTAKE_RECORDED_AT_ANSWER, responseResultOf } from './start.js'
import type { ResponseVerdict } from './handler.js'

const NOW = 1_700_000_000_000
const request: RequestContext = {
  requestId: 'req0000000001',
  deadline: NOW + 5_000,
  method: 'POST',
  host: 'demo',
  port: 443,
  path: '/orders',
  query: '',
}
const answer: ResponseVerdict = {
  kind: 'answer',
  replyTo: 'pc.link.inbox.local.X.1',
  wire: { headers: undefined as never, data: new Uint8Array() },
  requestId: request.requestId,
  stage: 'backend',
  status: 201,
  request,
}

function recordsOf(intakeHeldHere: boolean): AuditRecord[] {
  const result = responseResultOf(answer, intakeHeldHere)
  if ('drop' in result) throw new Error('dropped')
  return [result.audit ?? []].flat()
}

describe('relay: the intake event survives the relay that took the request in', () => {
  it('STAGE-006 a relay killed before publishing its intake event: the answering relay records it again under the same event id', () => {
    const records = recordsOf(false)
    expect(records.map((r) => r.step)).toEqual(['response', 'request'])
    const again = auditEventOf('relay', records[1]!, NOW + 40)
    const original = auditEventOf(
      'relay',
      { step: 'request', stage: 'relay', verdict: 'accept', request, startedAt: NOW },
      NOW,
    )
    expect(again.id).toBe(original.id)
    expect(again).toMatchObject({ verdict: 'accept', reason: INTAKE_RECORDED_AT_ANSWER })
  })

  it('the relay that holds the intake event does not record it twice', () => {
    expect(recordsOf(true).map((r) => r.step)).toEqual(['response'])
  })

  it('the ledger holds a request until its answer, and forgets one whose answer went elsewhere', () => {
    const ledger = new IntakeLedger()
    ledger.hold('a', NOW + 1_000, NOW)
    ledger.hold('b', NOW + 1_000, NOW)
    expect(ledger.release('a')).toBe(true)
    expect(ledger.release('a')).toBe(false)
    ledger.hold('c', NOW + 60_000, NOW + 1_000 + LEDGER_GRACE_MS + 1)
    expect(ledger.release('b')).toBe(false)
    expect(ledger.size).toBe(1)
  })

  it('the ledger stays bounded when answers never come back to this process', () => {
    const ledger = new IntakeLedger()
    for (let i = 0; i < LEDGER_MAX_ENTRIES + 10; i++) ledger.hold(`r${i}`, NOW + 60_000, NOW)
    expect(ledger.size).toBe(LEDGER_MAX_ENTRIES)
    expect(ledger.release('r0')).toBe(false)
    expect(ledger.release(`r${LEDGER_MAX_ENTRIES + 9}`)).toBe(true)
  })
})
