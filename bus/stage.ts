/**
 * The consume loop every JetStream stage shares: a durable pull consumer, up to
 * `concurrency` messages in work at once, an ack only once the stage's own output is safe.
 *
 * Settling a message:
 * - the handler resolves: ack (its output was acknowledged by the next bus, or it chose to
 *   drop the message, which is logged: a passed deadline, an envelope nobody can answer);
 * - the handler throws: nak with a growing delay, so the message comes back;
 * - the handler throws on the last delivery the consumer allows: the stage's dead-letter path
 *   answers the client through the stage's normal output, then ack. Nothing hangs until the
 *   deadline and nothing disappears without a log line.
 *
 * A message held longer than ack-wait/2 is told `working()`, again every ack-wait/2 while
 * it is held, so a slow upstream never causes a redelivery while the first try still runs.
 * One timer per stage does it (every ack-wait/4), never one per message.
 */
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core'
import {
  jetstream,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
  type PubAck,
} from '@nats-io/jetstream'
import {
  failureReason,
  GatewayError,
  SetupError,
  type BusName,
  type WireMessage,
} from '../core/index.js'
import type { Logger } from '../runtime/index.js'
import type { Topology } from '../topology/index.js'

export const DEFAULT_CONCURRENCY = 64
/** First retry delay after a failure; doubles per delivery, capped at the ack wait. */
export const NAK_BASE_DELAY_MS = 250
const DEFAULT_ACK_WAIT_MS = 30_000
/** How long one pull waits on an idle stream before it is renewed. */
const FETCH_EXPIRES_MS = 5_000
const FETCH_RETRY_MS = 250
const FETCH_RETRY_MAX_MS = 5_000
const FETCH_FAILURES_PER_LOG = 20
/** A JetStream ack takes well under a millisecond on a healthy bus; this long means no bus. */
export const PUBLISH_TIMEOUT_MS = 2_000

export interface StageMessage {
  subject: string
  headers: MsgHdrs | undefined
  data: Uint8Array
  /** 1 on the first delivery. */
  deliveryCount: number
  /** The consumer will not deliver this message again: a failure now is dead-lettered. */
  lastDelivery: boolean
}

/**
 * What a handler may resolve with: nothing (ack), a reason to ack and drop, or a promise to
 * ack after (the audit events of the work are safe): the slot is free at once, the ack waits.
 */
export type StageOutcome =
  void | { drop: string; requestId?: string } | { ackAfter: Promise<unknown> }

export interface StageOptions {
  /** The component name, for log lines. */
  name: string
  /** Connection to the bus that holds the stream. */
  nc: NatsConnection
  stream: string
  consumer: string
  concurrency?: number
  log: Logger
  /** Does the stage's work; resolves once its output was acknowledged downstream. */
  handle(msg: StageMessage): Promise<StageOutcome>
  /** Answers the client with an error for a message that failed on its last delivery. */
  deadLetter(msg: StageMessage, error: unknown): Promise<void>
}

export interface Stage {
  /** Stops pulling and waits for the messages in work; anything arriving late is handed back. */
  stop(): Promise<void>
  /** Resolves once every ack that waits on an `ackAfter` promise was sent. */
  acked(): Promise<void>
  readonly ackWaitMs: number
  readonly maxDeliver: number
}

interface Held {
  m: JsMsg
  /** When the server last restarted its ack wait for it (taken, or told `working`). */
  touched: number
  /** Its work is done and its ack waits on an `ackAfter` promise. */
  ackPending?: boolean
}

export function nakDelay(deliveryCount: number, ackWaitMs: number): number {
  const exp = Math.min(deliveryCount - 1, 10)
  return Math.min(NAK_BASE_DELAY_MS * 2 ** exp, ackWaitMs)
}

export async function startStage(opts: StageOptions): Promise<Stage> {
  const { log, name } = opts
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY
  const consumer = await jetstream(opts.nc).consumers.get(opts.stream, opts.consumer)
  const { config } = await consumer.info(true)
  const ackWaitMs = config.ack_wait ? config.ack_wait / 1e6 : DEFAULT_ACK_WAIT_MS
  // The server's own settings are the truth; the config file only provisioned them.
  const maxDeliver = config.max_deliver && config.max_deliver > 0 ? config.max_deliver : Infinity
  const keepAliveMs = Math.max(100, Math.floor(ackWaitMs / 2))

  let active = 0
  let stopping = false
  let drained: (() => void) | undefined
  let slotFreed: (() => void) | undefined

  // One timer for every message in work: those held longer than ack-wait/2 are told working.
  const held = new Set<Held>()
  const keepAlive = setInterval(
    () => {
      const now = Date.now()
      for (const h of held) {
        if (now - h.touched < keepAliveMs) continue
        h.m.working()
        h.touched = now
      }
    },
    Math.max(50, Math.floor(keepAliveMs / 2)),
  )
  keepAlive.unref()

  /**
   * Acks waiting for their `ackAfter`; the message stays kept alive until then. When the
   * promise rejects (the work's audit events were not taken), the message is handed back
   * instead, so its work and its events are done again.
   */
  const acking = new Set<Promise<void>>()
  const ackAfter = (h: Held, after: Promise<unknown>): void => {
    const settle = (ok: boolean) => () => {
      try {
        if (ok) h.m.ack()
        else h.m.nak(nakDelay(h.m.info.deliveryCount, ackWaitMs))
      } catch {
        // The connection is gone: the message comes back after its ack wait.
      }
    }
    const p = after.then(settle(true), (e: unknown) => {
      log.warn('not-acked', { stage: name, subject: h.m.subject, reason: failureReason(e) })
      settle(false)()
    })
    acking.add(p)
    void p.finally(() => {
      acking.delete(p)
      held.delete(h)
    })
  }

  const run = (h: Held): void => {
    active++
    held.add(h)
    void process(h).finally(() => {
      if (!h.ackPending) held.delete(h)
      active--
      slotFreed?.()
      slotFreed = undefined
      if (active === 0 && drained) drained()
    })
  }

  const process = async (h: Held): Promise<void> => {
    const { m } = h
    const msg: StageMessage = {
      subject: m.subject,
      headers: m.headers,
      data: m.data,
      deliveryCount: m.info.deliveryCount,
      lastDelivery: m.info.deliveryCount >= maxDeliver,
    }
    try {
      const outcome = await opts.handle(msg)
      if (outcome && 'ackAfter' in outcome) {
        h.ackPending = true
        ackAfter(h, outcome.ackAfter)
        return
      }
      if (outcome) {
        log.info('dropped', { stage: name, reason: outcome.drop, requestId: outcome.requestId })
      }
      m.ack()
    } catch (e) {
      if (!msg.lastDelivery) {
        const delay = nakDelay(msg.deliveryCount, ackWaitMs)
        log.warn('retry', {
          stage: name,
          subject: m.subject,
          delivery: msg.deliveryCount,
          delay,
          reason: failureReason(e),
        })
        m.nak(delay)
        return
      }
      try {
        await opts.deadLetter(msg, e)
        log.error('dead-letter', {
          stage: name,
          subject: m.subject,
          delivery: msg.deliveryCount,
          reason: failureReason(e),
        })
        m.ack()
      } catch (e2) {
        log.error('dead-letter-failed', {
          stage: name,
          subject: m.subject,
          reason: failureReason(e),
          deadLetterReason: failureReason(e2),
        })
        m.term()
      }
    }
  }

  const accept = (m: JsMsg): void => run({ m, touched: Date.now() })

  // A pull asks for no more messages than there are free slots not already asked for, so a
  // replica never holds work it cannot start (its ack wait cannot run out unseen in a
  // buffer) and the other replicas get what this one cannot take. (`consume()` refills as
  // messages arrive, not as they finish, which would queue without bound behind a slow
  // upstream.) Pulls overlap, and a new one waits until a quarter of the slots are free:
  // one pull per message would cost the bus a request and a reply each.
  const pulls = new Set<ConsumerMessages>()
  let requested = 0
  let failures = 0
  const minPull = Math.max(1, Math.floor(concurrency / 4))

  const pull = async (size: number): Promise<void> => {
    requested += size
    let received = 0
    let pulled: ConsumerMessages | undefined
    try {
      pulled = await consumer.fetch({ max_messages: size, expires: FETCH_EXPIRES_MS })
      pulls.add(pulled)
      // stop() may have run while the pull was being set up.
      if (stopping) void pulled.close()
      for await (const m of pulled) {
        received++
        requested--
        if (stopping) m.nak()
        else accept(m)
      }
      if (failures > 0) log.info('fetch-recovered', { stage: name, failures })
      failures = 0
    } catch (e) {
      if (stopping) return
      // One line when the bus goes away, then one every so often while it stays away.
      if (failures % FETCH_FAILURES_PER_LOG === 0) {
        log.warn('fetch-failed', { stage: name, failures: failures + 1, reason: failureReason(e) })
      }
      const delay = Math.min(FETCH_RETRY_MS * 2 ** Math.min(failures, 10), FETCH_RETRY_MAX_MS)
      failures++
      await new Promise((r) => setTimeout(r, delay))
    } finally {
      requested -= size - received
      if (pulled) pulls.delete(pulled)
      wake()
    }
  }

  const loop = async (): Promise<void> => {
    while (!stopping) {
      const free = concurrency - active - requested
      if (free >= minPull || (free > 0 && requested === 0)) {
        void pull(free)
        continue
      }
      await new Promise<void>((resolve) => (slotFreed = resolve))
    }
  }
  const wake = () => {
    slotFreed?.()
    slotFreed = undefined
  }
  const looping = loop()

  return {
    ackWaitMs,
    maxDeliver,
    async acked() {
      await Promise.all(acking)
    },
    async stop() {
      if (stopping) return
      stopping = true
      wake()
      await Promise.all([...pulls].map((p) => p.close()))
      await looping
      if (active > 0) await new Promise<void>((resolve) => (drained = resolve))
      void Promise.all(acking).then(() => clearInterval(keepAlive))
    },
  }
}

/**
 * Publishes an envelope to a JetStream stream and waits for its ack. The request id is the
 * message id, so a re-published message is stored once within the duplicate window; the
 * expected stream makes a subject that no longer lands in `stream` fail loudly.
 * Throws `BUS_UNAVAILABLE` when the bus does not acknowledge.
 */
export async function publishEnvelope(
  js: JetStreamClient,
  subject: string,
  wire: WireMessage,
  opts: { stream: string; requestId: string; timeoutMs?: number },
): Promise<PubAck> {
  try {
    return await js.publish(subject, wire.data, {
      headers: wire.headers,
      msgID: opts.requestId,
      expect: { streamName: opts.stream },
      timeout: opts.timeoutMs ?? PUBLISH_TIMEOUT_MS,
    })
  } catch (e) {
    throw new GatewayError('BUS_UNAVAILABLE', {
      reason: `publish to ${opts.stream} failed: ${failureReason(e)}`,
    })
  }
}

/** The stream a topology keeps on `bus` (the stages each consume one and publish to one). */
export function streamOn(topology: Topology, bus: BusName): string {
  const stream = topology.streams.find((s) => s.bus === bus && s.kind === 'data')
  if (!stream) {
    throw new SetupError(
      'TOPOLOGY_INVALID',
      `the ${topology.mode} topology has no stream on ${bus}`,
    )
  }
  return stream.name
}

/** Drains connections at stop; a connection that is already gone is not an error then. */
export async function closeAll(connections: NatsConnection[]): Promise<void> {
  await Promise.all(
    connections.filter((nc) => !nc.isClosed()).map((nc) => nc.drain().catch(() => nc.close())),
  )
}
