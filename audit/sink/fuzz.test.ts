/**
 * Generated messages against the audit sink's reader (fast-check): whatever a component
 * publishes on its audit subject, or whatever lands on any subject, the reader gives at
 * least one event, every one of them a row the store keeps as it is, never a throw.
 */
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { subjects } from '../../core/index.js'
import { parseConfig } from '../../config/index.js'
import { describeTopology } from '../../topology/index.js'
import { rowOfEvent } from '../store/index.js'
import { createAuditReader } from './handler.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const topology = describeTopology(
  parseConfig(
    {
      topology: 'isolated',
      edge: { id: 'local' },
      upstreams: { demo: { baseUrl: 'http://127.0.0.1:8790', openapi: 'demo/openapi.json' } },
    },
    `${ROOT}portcullis.config.json`,
  ),
)
const read = createAuditReader(topology)
const RID = '0123456789abcdef0123456789abcdef'

const identity = fc.constantFrom('relay', 'request-validator', 'backend-demo', 'edge-local')
const field = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.constantFrom('a\u0000b', '\ud800', '1969-12-31T23:59:59Z', 'x'.repeat(300)),
)
const eventish = fc.record(
  {
    id: fc.oneof(fc.constant(`${RID}/relay/request`), field),
    time: fc.oneof(fc.constant('2026-01-01T00:00:00.000Z'), field),
    requestId: fc.oneof(fc.constant(RID), field),
    stage: fc.oneof(fc.constantFrom('relay', 'edge', 'backend', 'request-validator'), field),
    verdict: fc.oneof(fc.constantFrom('accept', 'reject', 'error'), field),
    method: field,
    port: field,
    status: field,
    reason: field,
  },
  { requiredKeys: [] },
)
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 256 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  eventish.map((e) => JSON.stringify(e)),
  fc.array(eventish, { maxLength: 6 }).map((list) => JSON.stringify(list)),
)

describe('audit reader under generated messages', () => {
  it('FUZZ-201 any payload on any audit subject becomes at least one storable event, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          identity.map((i) => subjects.audit(i)),
          fc.string({ maxLength: 30 }),
        ),
        payload,
        fc.integer({ min: 1, max: 2 ** 31 }),
        (subject, data, streamSeq) => {
          const events = read({
            subject,
            data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
            bus: 'dreq',
            streamSeq,
            storedAtNanos: 1_767_225_600_123_456_789n,
          })
          expect(events.length).toBeGreaterThan(0)
          for (const event of events)
            expect(rowOfEvent(event, 'audit-sink')).not.toHaveProperty('problem')
        },
      ),
      { numRuns: 500 },
    )
  })
})
