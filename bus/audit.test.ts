/** The audit publisher's promise to a stage: resolved only for events the audit bus took. */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../config/index.js'
import { createLogger } from '../runtime/index.js'
import { describeTopology } from '../topology/index.js'
import { createAuditPublisher, type AuditRecord } from './audit.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const topology = describeTopology(
  parseConfig(
    { upstreams: { demo: { baseUrl: 'http://127.0.0.1:1', openapi: 'demo/openapi.json' } } },
    `${ROOT}portcullis.config.json`,
  ),
)
const record: AuditRecord = {
  step: 'request',
  stage: 'request-validator',
  verdict: 'accept',
  request: { requestId: 'r'.repeat(32), method: 'GET', host: 'demo', port: 443, path: '/' },
}

describe('audit publisher', () => {
  it('STAGE-005 an event refused because too many wait rejects its promise, so the stage hands its input back instead of acking it', async () => {
    const lines: string[] = []
    const publisher = createAuditPublisher({
      buses: {
        on: () => {
          throw new Error('no bus in this test')
        },
      },
      topology,
      identity: 'request-validator',
      log: createLogger('info', (l) => lines.push(l)),
      maxInFlight: 0,
    })
    await expect(publisher.record(record)).rejects.toThrow(/too many/)
    expect(publisher.stats().dropped).toBe(1)
    expect(lines.some((l) => l.includes('audit-dropped'))).toBe(true)
  })
})
