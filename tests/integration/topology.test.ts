/**
 * The isolated topology on real nats-servers: every server starts from its generated config,
 * every stream and consumer carries the configured settings, de-duplication works, and each
 * identity can make the moves its row of the table allows.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { nanos, type NatsConnection } from '@nats-io/nats-core'
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream'
import { subjects, type BusName } from '../../core/index.js'
import { ADMIN, AUDIT_SINK, busesOf, provisionStreams } from '../../topology/index.js'
import { connectLinkWebsocket, startBuses, type BusHarness } from '../harness/buses.js'

// Non-default limits, so the checks below prove the settings come from the config.
const BUS = { duplicateWindowMs: 60_000, maxDeliver: 3, ackWaitMs: 2_000 }

let h: BusHarness

beforeAll(async () => {
  h = await startBuses({ bus: BUS })
}, 30_000)

afterAll(async () => {
  await h?.stop()
}, 30_000)

/** Each test starts from empty streams. */
beforeEach(async () => {
  await Promise.all(
    h.topology.streams.map(async (s) => {
      const jsm = await jetstreamManager(await h.connect(ADMIN, s.bus))
      await jsm.streams.purge(s.name)
    }),
  )
})

async function next(nc: NatsConnection, stream: string, consumer: string): Promise<JsMsg> {
  const c = await jetstream(nc).consumers.get(stream, consumer)
  const m = await c.next({ expires: 2_000 })
  if (!m) throw new Error(`no message from ${stream}/${consumer}`)
  return m
}

async function storedCount(bus: BusName, stream: string): Promise<number> {
  const jsm = await jetstreamManager(await h.connect(ADMIN, bus))
  return (await jsm.streams.info(stream)).state.messages
}

describe('servers, streams and consumers', () => {
  it('every server runs from its generated config and accepts its identities', async () => {
    for (const bus of h.topology.buses) {
      const identity = bus.grants.find((g) => !g.websocketOnly)!.identity
      const nc = await h.connect(identity, bus.name)
      expect(nc.info?.server_name).toBe(`portcullis-${bus.server}`)
      expect(nc.info?.jetstream ?? false).toBe(bus.jetstream)
      expect(nc.info?.max_payload).toBe(h.config.bus.maxPayloadBytes)
    }
    const edge = await connectLinkWebsocket(h, 'edge-local')
    expect(edge.info?.server_name).toBe('portcullis-link')
    await edge.close()
  }, 15_000)

  it('every stream and consumer exists with the configured settings', async () => {
    expect(h.topology.streams.map((s) => `${s.bus}/${s.name}`)).toEqual([
      'link/AUDIT',
      'dreq/DREQ',
      'dreq/AUDIT',
      'creq/CREQ',
      'creq/AUDIT',
      'dresp/DRESP',
      'dresp/AUDIT',
      'cresp/CRESP',
      'cresp/AUDIT',
    ])
    for (const stream of h.topology.streams) {
      const jsm = await jetstreamManager(await h.connect(ADMIN, stream.bus))
      const info = await jsm.streams.info(stream.name)
      expect(info.config).toMatchObject({
        subjects: stream.subjects,
        retention: 'workqueue',
        storage: 'file',
        discard: 'new',
        duplicate_window: nanos(BUS.duplicateWindowMs),
        max_bytes: h.config.bus.streamMaxBytes,
        max_msgs: h.config.bus.streamMaxMessages,
        max_msg_size: h.config.bus.maxPayloadBytes,
        num_replicas: 1,
      })
      expect(stream.consumers.length).toBeGreaterThan(0)
      for (const consumer of stream.consumers) {
        const ci = await jsm.consumers.info(stream.name, consumer.name)
        expect(ci.config).toMatchObject({
          durable_name: consumer.name,
          filter_subject: consumer.filter,
          ack_policy: 'explicit',
          ack_wait: nanos(BUS.ackWaitMs),
          max_deliver: BUS.maxDeliver,
          max_ack_pending: 1024,
        })
        expect(ci.config.deliver_subject).toBeUndefined()
      }
    }
  }, 15_000)

  it('provisioning again updates settings in place instead of failing', async () => {
    const connectAdmin = (bus: BusName) => h.connect(ADMIN, bus)
    const changed = { ...h.config.bus, maxDeliver: 4, ackWaitMs: 2_500, duplicateWindowMs: 30_000 }
    await provisionStreams(h.topology, changed, connectAdmin)
    const jsm = await jetstreamManager(await h.connect(ADMIN, 'dreq'))
    expect((await jsm.streams.info('DREQ')).config.duplicate_window).toBe(nanos(30_000))
    const ci = await jsm.consumers.info('DREQ', 'request-validator')
    expect(ci.config.max_deliver).toBe(4)
    expect(ci.config.ack_wait).toBe(nanos(2_500))

    await provisionStreams(h.topology, h.config.bus, connectAdmin)
    expect((await jsm.consumers.info('DREQ', 'request-validator')).config.max_deliver).toBe(3)
  }, 15_000)

  it('two publishes with the same Nats-Msg-Id store one message', async () => {
    const js = jetstream(await h.connect('relay', 'dreq'))
    const subject = subjects.dirtyRequest('local', 'demo')
    const first = await js.publish(subject, 'one', { msgID: 'dedupe-0000000001' })
    const again = await js.publish(subject, 'two', { msgID: 'dedupe-0000000001' })
    expect(first.duplicate).toBe(false)
    expect(again.duplicate).toBe(true)
    expect(again.seq).toBe(first.seq)
    const other = await js.publish(subject, 'three', { msgID: 'dedupe-0000000002' })
    expect(other.duplicate).toBe(false)
    expect(await storedCount('dreq', 'DREQ')).toBe(2)
  }, 10_000)
})

describe('allowed moves', () => {
  it('relay publishes dirty requests to dreq and gets an ack', async () => {
    const js = jetstream(await h.connect('relay', 'dreq'))
    const ack = await js.publish(subjects.dirtyRequest('local', 'demo'), 'req', {
      msgID: 'allowed-relay-01',
    })
    expect(ack.stream).toBe('DREQ')
  }, 10_000)

  it('request-validator fetches and acks from dreq, publishes to creq and rejections to cresp', async () => {
    await jetstream(await h.connect('relay', 'dreq')).publish(
      subjects.dirtyRequest('local', 'demo'),
      'r1',
      {
        msgID: 'allowed-rv-0001',
      },
    )
    const m = await next(await h.connect('request-validator', 'dreq'), 'DREQ', 'request-validator')
    expect(m.subject).toBe(subjects.dirtyRequest('local', 'demo'))
    expect(await m.ackAck()).toBe(true)
    expect(await storedCount('dreq', 'DREQ')).toBe(0)

    const clean = await jetstream(await h.connect('request-validator', 'creq')).publish(
      subjects.cleanRequest('demo'),
      'r1',
      { msgID: 'allowed-rv-0001' },
    )
    expect(clean.stream).toBe('CREQ')
    const rejection = await jetstream(await h.connect('request-validator', 'cresp')).publish(
      subjects.cleanResponse('request-validator', 'demo'),
      'no',
      { msgID: 'allowed-rv-0002' },
    )
    expect(rejection.stream).toBe('CRESP')
  }, 10_000)

  it('backend-demo fetches its consumer on creq and publishes to dresp', async () => {
    await jetstream(await h.connect('request-validator', 'creq')).publish(
      subjects.cleanRequest('demo'),
      'c',
      {
        msgID: 'allowed-be-0001',
      },
    )
    const m = await next(await h.connect('backend-demo', 'creq'), 'CREQ', 'backend-demo')
    expect(m.subject).toBe(subjects.cleanRequest('demo'))
    expect(await m.ackAck()).toBe(true)
    const ack = await jetstream(await h.connect('backend-demo', 'dresp')).publish(
      subjects.dirtyResponse('demo'),
      'resp',
      { msgID: 'allowed-be-0001' },
    )
    expect(ack.stream).toBe('DRESP')
  }, 10_000)

  it('response-validator consumes dresp and publishes its clean responses to cresp', async () => {
    await jetstream(await h.connect('backend-demo', 'dresp')).publish(
      subjects.dirtyResponse('demo'),
      'd',
      {
        msgID: 'allowed-rsv-001',
      },
    )
    const m = await next(
      await h.connect('response-validator', 'dresp'),
      'DRESP',
      'response-validator',
    )
    expect(m.subject).toBe(subjects.dirtyResponse('demo'))
    expect(await m.ackAck()).toBe(true)
    const ack = await jetstream(await h.connect('response-validator', 'cresp')).publish(
      subjects.cleanResponse('response-validator', 'demo'),
      'ok',
      { msgID: 'allowed-rsv-001' },
    )
    expect(ack.stream).toBe('CRESP')
  }, 10_000)

  it('relay consumes cresp from both publishing stages', async () => {
    await jetstream(await h.connect('response-validator', 'cresp')).publish(
      subjects.cleanResponse('response-validator', 'demo'),
      'a',
      { msgID: 'allowed-relay-cr1' },
    )
    await jetstream(await h.connect('request-validator', 'cresp')).publish(
      subjects.cleanResponse('request-validator', 'demo'),
      'b',
      { msgID: 'allowed-relay-cr2' },
    )
    const relay = await h.connect('relay', 'cresp')
    const got: string[] = []
    for (let i = 0; i < 2; i++) {
      const m = await next(relay, 'CRESP', 'relay')
      got.push(m.subject)
      expect(await m.ackAck()).toBe(true)
    }
    expect(got.sort()).toEqual([
      subjects.cleanResponse('request-validator', 'demo'),
      subjects.cleanResponse('response-validator', 'demo'),
    ])
  }, 10_000)

  it('the edge asks on its request subject over WebSocket and the relay answers on its inbox', async () => {
    const relay = await h.connect('relay', 'link')
    const sub = relay.subscribe(subjects.linkRequestAll, {
      callback: (_err, msg) => {
        // The relay answers only into the asking edge's inbox.
        expect(msg.reply?.startsWith(`${subjects.linkInbox('local')}.`)).toBe(true)
        msg.respond(`answer:${msg.string()}`)
      },
    })
    await relay.flush()
    const edge = await connectLinkWebsocket(h, 'edge-local')
    try {
      const reply = await edge.request(subjects.linkRequest('local'), 'hello', { timeout: 3_000 })
      expect(reply.string()).toBe('answer:hello')
    } finally {
      sub.unsubscribe()
      await edge.close()
    }
  }, 10_000)

  it('every identity reaches exactly the buses of its row', () => {
    const row = (id: string) => busesOf(h.topology, id).map((b) => b.name)
    expect(row('edge-local')).toEqual(['link'])
    expect(row('relay')).toEqual(['link', 'dreq', 'cresp'])
    expect(row('request-validator')).toEqual(['dreq', 'creq', 'cresp'])
    expect(row('backend-demo')).toEqual(['creq', 'dresp'])
    expect(row('response-validator')).toEqual(['dresp', 'cresp'])
    expect(row(ADMIN)).toEqual(['link', 'dreq', 'creq', 'dresp', 'cresp'])
    expect(row(AUDIT_SINK)).toEqual(['link', 'dreq', 'creq', 'dresp', 'cresp'])
  })
})

describe('restarts', () => {
  async function until(ok: () => boolean, what: string): Promise<void> {
    for (const end = Date.now() + 5_000; !ok(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    }
  }

  it('a restarted server keeps its streams; publishers and a running consume() carry on', async () => {
    const relay = await h.connect('relay', 'dreq')
    const js = jetstream(relay)
    const rv = await h.connect('request-validator', 'dreq')
    const consumer = await jetstream(rv).consumers.get('DREQ', 'request-validator')
    const messages = await consumer.consume({ max_messages: 16 })
    const got: string[] = []
    void (async () => {
      for await (const m of messages) {
        got.push(m.string())
        m.ack()
      }
    })()
    const first = await js.publish(subjects.dirtyRequest('local', 'demo'), 'before', {
      msgID: 'restart-00000001',
    })
    await until(() => got.length === 1, 'the first message')

    const reconnected = (async () => {
      for await (const s of relay.status()) if (s.type === 'reconnect') return
    })()
    await h.stopServer('dreq')
    await h.startServer('dreq')
    const jsm = await jetstreamManager(await h.connect(ADMIN, 'dreq'))
    expect((await jsm.streams.info('DREQ')).state.last_seq).toBe(first.seq)
    // nats.js drops what is published while it redials: wait for the reconnect (a stage
    // retries its publish with the same Nats-Msg-Id instead).
    await reconnected
    const ack = await js.publish(subjects.dirtyRequest('local', 'demo'), 'after', {
      msgID: 'restart-00000002',
    })
    expect(ack.seq).toBe(first.seq + 1)
    await until(() => got.length === 2, 'the message after the restart')
    expect(got).toEqual(['before', 'after'])
    await messages.close()
  }, 20_000)
})
