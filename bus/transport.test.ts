/**
 * The coalescing transport against real nats-servers: the buses of a test topology (what
 * `connectAs` makes) and a plain server on a free loopback port (frames, order, reconnect).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/nats-core'
import { startBuses, type BusHarness } from '../tests/harness/buses.js'
import { freePort } from '../tests/harness/ports.js'
import { startNatsServer, type NatsServerProcess } from '../topology/index.js'
import { CoalescingTransport, connectCoalescing } from './transport.js'

let h: BusHarness
let dir: string
let port: number
let server: NatsServerProcess | undefined
const startPlain = async () => {
  server = await startNatsServer({ name: 'plain', confPath: join(dir, 'plain.conf'), port })
}

beforeAll(async () => {
  h = await startBuses()
  dir = mkdtempSync(join(tmpdir(), 'portcullis-transport-'))
  port = await freePort()
  writeFileSync(join(dir, 'plain.conf'), `listen: 127.0.0.1:${port}\n`)
  await startPlain()
}, 30_000)
afterAll(async () => {
  await server?.stop()
  await h?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const connectPlain = () =>
  connectCoalescing({
    servers: `127.0.0.1:${port}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  })

/** The transport under a connection (nats.js keeps it on its protocol handler). */
const transportOf = (nc: NatsConnection) =>
  (nc as unknown as { protocol: { transport: unknown } }).protocol.transport

/** Counts the system-call writes of a connection's socket (one per `write` or `writev`). */
function countWrites(nc: NatsConnection): { readonly count: number } {
  const transport = transportOf(nc) as CoalescingTransport
  const socket = transport.socket as Socket & { _writeGeneric(...args: unknown[]): unknown }
  const counter = { count: 0 }
  const original = socket._writeGeneric.bind(socket)
  socket._writeGeneric = (...args: unknown[]) => {
    counter.count++
    return original(...args)
  }
  return counter
}

describe('coalescing transport', () => {
  it('carries every on-prem connection (connectAs)', async () => {
    const nc = await h.connect('relay', 'dreq')
    expect(transportOf(nc)).toBeInstanceOf(CoalescingTransport)
    await nc.close()
  })

  it('sends what the flushes of one turn hold in one write, every frame in order', async () => {
    const sender = await connectPlain()
    const receiver = await connectPlain()
    const sub = receiver.subscribe('test.coalesce', { max: 50 })
    await receiver.flush()
    const received: string[] = []
    const done = (async () => {
      for await (const m of sub) received.push(m.string())
    })()

    const writes = countWrites(sender)
    // One publish per microtask checkpoint: nats.js flushes after each of them.
    for (let i = 0; i < 50; i++) {
      await Promise.resolve()
      sender.publish('test.coalesce', String(i))
    }
    expect(writes.count).toBeLessThanOrEqual(1)
    await sender.flush()
    expect(writes.count).toBeLessThanOrEqual(3)
    await done
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => String(i)))
    await sender.close()
    await receiver.close()
  })

  it('answers a lone request, and keeps the transport across a reconnect', async () => {
    const responder = await connectPlain()
    const sub = responder.subscribe('test.echo', {
      callback: (_e, m) => {
        m.respond(m.data)
      },
    })
    await responder.flush()
    const requester = await connectPlain()
    expect((await requester.request('test.echo', 'one', { timeout: 2_000 })).string()).toBe('one')

    await server!.stop()
    await startPlain()
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        const reply = await requester.request('test.echo', 'two', { timeout: 500 })
        expect(reply.string()).toBe('two')
        break
      } catch (e) {
        if (Date.now() > deadline) throw e
      }
    }
    expect(transportOf(requester)).toBeInstanceOf(CoalescingTransport)
    sub.unsubscribe()
    await requester.close()
    await responder.close()
  }, 20_000)
})
