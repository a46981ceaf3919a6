/**
 * The envelope publisher against a real nats-server: a plain subscriber stands in for the
 * stream, so a test decides which copies of a publish are answered.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { headers, type Msg, type NatsConnection } from '@nats-io/nats-core'
import { freePort } from '../tests/harness/ports.js'
import { startNatsServer, type NatsServerProcess } from '../topology/index.js'
import { createEnvelopePublisher, RESEND_AFTER_MS } from './publish.js'
import { connectCoalescing } from './transport.js'

let dir: string
let server: NatsServerProcess
let nc: NatsConnection

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-publish-'))
  const port = await freePort()
  writeFileSync(join(dir, 'plain.conf'), `listen: 127.0.0.1:${port}\n`)
  server = await startNatsServer({ name: 'plain', confPath: join(dir, 'plain.conf'), port })
  nc = await connectCoalescing({ servers: `127.0.0.1:${port}` })
}, 30_000)
afterAll(async () => {
  await nc?.close()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** A stand-in stream on `subject` that answers the copies `answer` picks. */
function standIn(subject: string, answer: (copy: number) => boolean): Msg[] {
  const seen: Msg[] = []
  nc.subscribe(subject, {
    callback: (_err, msg) => {
      seen.push(msg)
      if (answer(seen.length)) msg.respond(JSON.stringify({ stream: 'S', seq: seen.length }))
    },
  })
  return seen
}

const wire = () => ({ headers: headers(), data: new TextEncoder().encode('{}') })

it('BUS-310 a publish whose first copy goes unanswered (a stream leader moving) is sent again under the same message id and acknowledged within its bound', async () => {
  const seen = standIn('resend.one', (copy) => copy === 2)
  const publisher = createEnvelopePublisher(nc, '_INBOX_t1')
  const started = Date.now()
  const ack = await publisher.publish('resend.one', wire(), {
    stream: 'S',
    msgId: 'req-1',
    timeoutMs: 5_000,
  })
  expect(ack.seq).toBe(2)
  expect(Date.now() - started).toBeGreaterThanOrEqual(RESEND_AFTER_MS - 100)
  expect(seen.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(['req-1', 'req-1'])
  publisher.close()
})

it('BUS-311 an answered publish is sent once, and one never answered fails at its bound', async () => {
  const answered = standIn('resend.answered', () => true)
  const silent = standIn('resend.silent', () => false)
  const publisher = createEnvelopePublisher(nc, '_INBOX_t2')
  await publisher.publish('resend.answered', wire(), { stream: 'S', msgId: 'a', timeoutMs: 5_000 })
  const started = Date.now()
  await expect(
    publisher.publish('resend.silent', wire(), { stream: 'S', msgId: 'b', timeoutMs: 2_500 }),
  ).rejects.toThrow('timeout')
  expect(Date.now() - started).toBeLessThan(3_000)
  await nc.flush()
  expect(answered).toHaveLength(1)
  // Sent at 0, then after 1 s and 2 s more: within 2.5 s, twice.
  expect(silent).toHaveLength(2)
  publisher.close()
})
