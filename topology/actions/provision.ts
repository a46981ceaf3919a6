/**
 * Creates or updates every stream and durable consumer of the topology, as the admin
 * identity. Running it again converges the brokers on the topology (it is how limits change)
 * instead of failing on what already exists.
 */
import type { NatsConnection } from '@nats-io/nats-core'
import {
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream'
import { SetupError, type BusName } from '../../core/index.js'
import { consumerConfigOf, streamConfigOf, type BusLimits } from '../description/stream-config.js'
import type { ConsumerSpec, StreamSpec, Topology } from '../description/types.js'
import { ensureIdempotencyStore } from './idempotency-store.js'

/** What the server cannot change in place: the stream or consumer must be removed first. */
const RECREATE = {
  action: 'remove the named stream or consumer (its messages go with it), then provision again',
}

/** How long a three-node bus may take to elect its JetStream meta leader and place a stream. */
const CLUSTER_READY_MS = 60_000
const RETRY_MS = 250

/**
 * What a cluster answers while it has no meta leader yet, or cannot place an R3 asset because
 * a peer is not known yet: worth asking again until the deadline.
 */
function transient(e: unknown): boolean {
  // "no suitable peers for placement" comes as a 400 while the peers are still being learnt.
  if (e instanceof JetStreamApiError && (e.code === 503 || e.code === 500)) return true
  const text = e instanceof Error ? `${e.name} ${e.message}` : ''
  return /timeout|no responders|temporarily unavailable|insufficient resources|no suitable peers/i.test(
    text,
  )
}

/** Runs `step` until it succeeds, retrying what a forming cluster answers, up to `deadline`. */
async function untilReady<T>(deadline: number, step: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await step()
    } catch (e) {
      if (!transient(e) || Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, RETRY_MS))
    }
  }
}

function notFound(e: unknown, code: number): boolean {
  return e instanceof JetStreamApiError && e.code === code
}

async function ensureStream(
  jsm: JetStreamManager,
  stream: StreamSpec,
  bus: BusLimits,
): Promise<void> {
  const want = streamConfigOf(stream, bus)
  let have: StreamConfig
  try {
    have = (await jsm.streams.info(stream.name)).config
  } catch (e) {
    if (!notFound(e, JetStreamApiCodes.StreamNotFound)) throw e
    await jsm.streams.add(want)
    return
  }
  // The server cannot change these in place; say so rather than half-converge.
  for (const key of ['retention', 'storage'] as const) {
    if (have[key] !== want[key]) {
      throw new SetupError(
        'TOPOLOGY_INVALID',
        `stream ${stream.name} on ${stream.bus} has ${key} ${have[key]}, the topology wants ` +
          `${want[key]}; it must be recreated`,
        RECREATE,
      )
    }
  }
  const { name: _name, retention: _r, storage: _s, ...update } = want
  await jsm.streams.update(stream.name, update)
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: StreamSpec,
  consumer: ConsumerSpec,
  bus: BusLimits,
): Promise<void> {
  const want = consumerConfigOf(consumer, bus, stream.replicas)
  let have: ConsumerConfig
  try {
    have = (await jsm.consumers.info(stream.name, consumer.name)).config
  } catch (e) {
    if (!notFound(e, JetStreamApiCodes.ConsumerNotFound)) throw e
    await jsm.consumers.add(stream.name, want)
    return
  }
  if (have.filter_subject !== want.filter_subject || have.ack_policy !== want.ack_policy) {
    throw new SetupError(
      'TOPOLOGY_INVALID',
      `consumer ${consumer.name} of ${stream.name} has filter ${have.filter_subject ?? '(none)'} ` +
        `and ack ${have.ack_policy}; the topology wants ${want.filter_subject} and ` +
        `${want.ack_policy}; it must be recreated`,
      RECREATE,
    )
  }
  await jsm.consumers.update(stream.name, consumer.name, {
    ack_wait: want.ack_wait,
    max_deliver: want.max_deliver,
    max_ack_pending: want.max_ack_pending,
  })
}

export async function provisionStreams(
  topology: Topology,
  limits: BusLimits,
  connectAdmin: (bus: BusName) => Promise<NatsConnection>,
): Promise<void> {
  const buses = [...new Set(topology.streams.map((s) => s.bus))]
  // Buses are independent: provision them side by side.
  await Promise.all(
    buses.map(async (bus) => {
      const nc = await connectAdmin(bus)
      try {
        // Its own API check would fail on a cluster still electing; untilReady asks instead.
        const jsm = await jetstreamManager(nc, { checkAPI: false })
        // A three-node bus answers JetStream requests once it has elected its meta leader;
        // one node answers at once. Either way the account must be usable before the streams.
        const deadline = Date.now() + CLUSTER_READY_MS
        await untilReady(deadline, () => jsm.getAccountInfo())
        for (const stream of topology.streams.filter((s) => s.bus === bus)) {
          await untilReady(deadline, () => ensureStream(jsm, stream, limits))
          for (const consumer of stream.consumers) {
            await untilReady(deadline, () => ensureConsumer(jsm, stream, consumer, limits))
          }
        }
        // The backend connectors' replay store, on the bus they read (description/idempotency.ts).
        await untilReady(deadline, () => ensureIdempotencyStore(jsm, topology, bus, limits))
      } finally {
        await nc.close()
      }
    }),
  )
}
