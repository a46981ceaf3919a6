/** The shared consume loop against a real JetStream bus (dreq of a test topology). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { createLogger } from '../runtime/index.js'
import { startBuses, type BusHarness } from '../tests/harness/buses.js'
import { nakDelay, startStage, type StageMessage, type StageOptions } from './stage.js'

const ACK_WAIT_MS = 1_000
const MAX_DELIVER = 3
const lines: string[] = []
const log = createLogger('info', (l) => lines.push(l))

let h: BusHarness
let consumerSide: NatsConnection
let js: JetStreamClient
let seq = 0

beforeAll(async () => {
  h = await startBuses({ bus: { maxDeliver: MAX_DELIVER, ackWaitMs: ACK_WAIT_MS } })
  consumerSide = await h.connect('request-validator', 'dreq')
  js = jetstream(await h.connect('relay', 'dreq'))
}, 30_000)
afterAll(() => h?.stop())

async function publish(count: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const id = `m${++seq}`
    await js.publish('pc.dreq.local.demo', new TextEncoder().encode(id), { msgID: id })
    ids.push(id)
  }
  return ids
}

function stage(overrides: Partial<StageOptions>) {
  return startStage({
    name: 'test',
    nc: consumerSide,
    stream: 'DREQ',
    consumer: 'request-validator',
    log,
    handle: async () => undefined,
    deadLetter: async () => undefined,
    ...overrides,
  })
}

async function settled(): Promise<void> {
  const jsm = await jetstreamManager(await h.connect('admin', 'dreq'))
  const until = Date.now() + 5_000
  for (;;) {
    const info = await jsm.consumers.info('DREQ', 'request-validator')
    if (info.num_ack_pending === 0 && info.num_pending === 0) return
    if (Date.now() > until) throw new Error(`still pending: ${info.num_ack_pending} unacked`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const text = (m: StageMessage) => new TextDecoder().decode(m.data)
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('startStage', () => {
  it('reads ack wait and max deliver from the consumer itself', async () => {
    const s = await stage({})
    expect(s.ackWaitMs).toBe(ACK_WAIT_MS)
    expect(s.maxDeliver).toBe(MAX_DELIVER)
    await s.stop()
  })

  it('works on up to `concurrency` messages at once and acks each after its work', async () => {
    let active = 0
    let peak = 0
    const done: string[] = []
    const s = await stage({
      concurrency: 3,
      async handle(m) {
        peak = Math.max(peak, ++active)
        await wait(80)
        active--
        done.push(text(m))
      },
    })
    const ids = await publish(9)
    const started = Date.now()
    while (done.length < 9 && Date.now() - started < 5_000) await wait(20)
    await s.stop()
    expect(done.sort()).toEqual([...ids].sort())
    expect(peak).toBe(3)
    await settled()
  })

  it('naks a failure and gets the message again', async () => {
    const deliveries: number[] = []
    const s = await stage({
      async handle(m) {
        deliveries.push(m.deliveryCount)
        if (m.deliveryCount === 1) throw new Error('transient')
      },
    })
    await publish(1)
    const started = Date.now()
    while (deliveries.length < 2 && Date.now() - started < 5_000) await wait(20)
    await s.stop()
    expect(deliveries).toEqual([1, 2])
    expect(
      lines.some((l) => l.startsWith('warn retry stage=test') && l.includes('reason=transient')),
    ).toBe(true)
    await settled()
  })

  it('BUS-301 dead-letters a message that fails on its last delivery, then acks it', async () => {
    const deliveries: number[] = []
    const deadLettered: Array<{ id: string; count: number; reason: string }> = []
    const s = await stage({
      async handle(m) {
        deliveries.push(m.deliveryCount)
        throw new Error('always')
      },
      async deadLetter(m, e) {
        deadLettered.push({ id: text(m), count: m.deliveryCount, reason: (e as Error).message })
      },
    })
    const [id] = await publish(1)
    const started = Date.now()
    while (deadLettered.length < 1 && Date.now() - started < 8_000) await wait(20)
    await s.stop()
    expect(deliveries).toEqual([1, 2, 3])
    expect(deadLettered).toEqual([{ id, count: MAX_DELIVER, reason: 'always' }])
    await settled()
  })

  it('acks and logs a dropped message', async () => {
    const s = await stage({ handle: async () => ({ drop: 'deadline passed', requestId: 'r-1' }) })
    await publish(1)
    const started = Date.now()
    while (
      !lines.some((l) => l.includes('dropped stage=test reason="deadline passed" requestId=r-1'))
    ) {
      if (Date.now() - started > 5_000) throw new Error('no drop line')
      await wait(20)
    }
    await s.stop()
    await settled()
  })

  it('keeps slow work alive past the ack wait: no second delivery while the first runs', async () => {
    const deliveries: number[] = []
    const s = await stage({
      async handle(m) {
        deliveries.push(m.deliveryCount)
        await wait(ACK_WAIT_MS * 2.5)
      },
    })
    await publish(1)
    await wait(ACK_WAIT_MS * 3)
    await s.stop()
    expect(deliveries).toEqual([1])
    await settled()
  })

  it('stop() waits for work in progress and hands back what has not started', async () => {
    const first: string[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const s1 = await stage({
      concurrency: 1,
      async handle(m) {
        first.push(text(m))
        await gate
      },
    })
    const ids = await publish(3)
    while (first.length < 1) await wait(10)
    let stopped = false
    const stopping = s1.stop().then(() => (stopped = true))
    await wait(100)
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(first).toHaveLength(1)

    const second: string[] = []
    const s2 = await stage({ handle: async (m) => void second.push(text(m)) })
    const started = Date.now()
    while (second.length < 2 && Date.now() - started < 5_000) await wait(20)
    await s2.stop()
    expect([...first, ...second].sort()).toEqual([...ids].sort())
    await settled()
  })
})

describe('acks after the audit events are safe', () => {
  it('STAGE-001 an audit event is never lost with a stage that dies after its output: the input is acked only once the events are safe, else redelivered', async () => {
    const dying = await h.connect('request-validator', 'dreq')
    let release!: () => void
    const safe = new Promise<void>((r) => (release = r))
    const first: string[] = []
    const s1 = await startStage({
      name: 'test',
      nc: dying,
      stream: 'DREQ',
      consumer: 'request-validator',
      log,
      handle: async (m) => {
        first.push(text(m))
        return { ackAfter: safe }
      },
      deadLetter: async () => undefined,
    })
    const [id] = await publish(1)
    while (first.length < 1) await wait(10)
    // The work is done but its events are not safe yet: the message is still unacked.
    const jsm = await jetstreamManager(await h.connect('admin', 'dreq'))
    expect((await jsm.consumers.info('DREQ', 'request-validator')).num_ack_pending).toBe(1)
    // The process dies here (its connection goes, the ack never leaves): it comes back.
    await dying.close()
    const again: Array<{ id: string; count: number }> = []
    const s2 = await stage({
      async handle(m) {
        again.push({ id: text(m), count: m.deliveryCount })
        return { ackAfter: Promise.resolve() }
      },
    })
    const started = Date.now()
    while (again.length < 1 && Date.now() - started < ACK_WAIT_MS * 5) await wait(20)
    await s2.stop()
    await s2.acked()
    expect(again).toEqual([{ id, count: 2 }])
    release()
    await s1.stop().catch(() => undefined)
    await settled()
  })

  it('STAGE-004 an audit event is never lost with an audit bus that stays away: when the events are not taken, the input is handed back and done again, never acked', async () => {
    const seen: number[] = []
    // Named before it is published: it may be delivered before the publish returns.
    const id = `m${seq + 1}`
    const s = await stage({
      async handle(m) {
        if (text(m) !== id) return { ackAfter: Promise.resolve() }
        seen.push(m.deliveryCount)
        // The first time, the audit publisher gives the events up; the second, they are taken.
        return {
          ackAfter:
            m.deliveryCount === 1 ? Promise.reject(new Error('not taken')) : Promise.resolve(),
        }
      },
    })
    await publish(1)
    const started = Date.now()
    while (seen.length < 2 && Date.now() - started < 5_000) await wait(20)
    await s.stop()
    await s.acked()
    expect(seen).toEqual([1, 2])
    expect(lines.some((l) => l.includes('not-acked'))).toBe(true)
    await settled()
  })

  it('frees the slot at once and acks when the promise settles', async () => {
    let release!: () => void
    const safe = new Promise<void>((r) => (release = r))
    const done: string[] = []
    const s = await stage({
      concurrency: 1,
      async handle(m) {
        done.push(text(m))
        return { ackAfter: safe }
      },
    })
    await publish(2)
    const started = Date.now()
    // One slot, and both messages are worked on before either is acked.
    while (done.length < 2 && Date.now() - started < 5_000) await wait(20)
    expect(done).toHaveLength(2)
    const jsm = await jetstreamManager(await h.connect('admin', 'dreq'))
    expect((await jsm.consumers.info('DREQ', 'request-validator')).num_ack_pending).toBe(2)
    release()
    await s.stop()
    await s.acked()
    await settled()
  })
})

describe('nakDelay', () => {
  it('doubles per delivery and never exceeds the ack wait', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => nakDelay(n, 3_000))).toEqual([
      250, 500, 1_000, 2_000, 3_000, 3_000,
    ])
  })
})
