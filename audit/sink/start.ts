/**
 * The audit sink at work: every bus's AUDIT stream in (through its own consumer on each, as
 * `audit-sink`, fetch and ack only), the audit store and the log mirrors out. Messages are
 * acked only once the batch that holds them is committed. A failed write is tried again in
 * place, the batch's messages kept from redelivery meanwhile: a nak or a lapsed ack wait
 * would count against the consumer's `maxDeliver`, after which the stream never hands the
 * message out again. The store skips event ids it already holds, so a redelivery after a
 * crash between commit and ack writes nothing twice.
 */
import { jetstream, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { failureReason, type AuditEvent, type BusName } from '../../core/index.js'
import type { LoadedConfig } from '../../config/index.js'
import { AUDIT_SINK, AUDIT_STREAM, describeTopology } from '../../topology/index.js'
import { connectAs } from '../../bus/connect.js'
import { closeAll } from '../../bus/stage.js'
import type { Logger, Running } from '../../runtime/index.js'
import {
  auditStoreSettingsOf,
  ensureAuditSigningKey,
  openAuditStore,
  type AuditCheckpoint,
  type AuditStore,
} from '../store/index.js'
import { openMirrors, type AuditMirrors } from '../mirrors/index.js'
import {
  FETCH_EXPIRES_MS,
  LOG_EVERY_FAILURES,
  MIRROR_FLUSH_MS,
  RETRY_MAX_MS,
  RETRY_MS,
} from './constants.js'
import { createAuditReader } from './handler.js'
import { startAuditReaderServer, type AuditReaderServer } from './reader-server.js'
import { auditSinkMetrics } from './metrics.js'

interface Pending {
  msg: JsMsg
  /** What the message carried: one event, or a component's events published together. */
  events: AuditEvent[]
  /** When the message's ack wait was last restarted (taken, or told `working`). */
  touched: number
}

export interface AuditSinkOptions {
  /** Replaces the mirrors from the config (tests). */
  mirrors?: AuditMirrors
}

const backoff = (attempt: number) => Math.min(RETRY_MS * attempt, RETRY_MAX_MS)

export async function startAuditSink(
  config: LoadedConfig,
  log: Logger,
  options: AuditSinkOptions = {},
): Promise<Running> {
  const topology = describeTopology(config)
  const read = createAuditReader(topology, AUDIT_SINK)
  const mirrors = options.mirrors ?? openMirrors(config.audit)
  const signingKey = ensureAuditSigningKey(config.paths.keys)
  const store: AuditStore = await openAuditStore({
    ...auditStoreSettingsOf(config),
    sink: AUDIT_SINK,
    signingKey,
    onCheckpoint: (c: AuditCheckpoint) =>
      mirrors.send({
        kind: 'checkpoint',
        checkpoint: {
          seq: c.seq,
          hash: c.headHash,
          time: c.time,
          keyId: c.keyId,
          signature: c.signature,
        },
      }),
    onError: (e) => log.error('audit-store', { reason: e.message }),
  })
  log.info('audit-store', { backend: store.backend, location: store.location })
  auditSinkMetrics().started((await store.head()).seq)
  // PGlite serves this process alone: `portcullis audit show | verify` read through here.
  let readerServer: AuditReaderServer | undefined
  if (store.backend === 'pglite') {
    try {
      readerServer = await startAuditReaderServer(store, config.paths.data, (e) =>
        log.error('audit-reader', { reason: e.message }),
      )
      log.info('audit-reader', { socket: readerServer.path })
    } catch (e) {
      // Writing the trail matters more; the CLI then says the store is busy, as before.
      log.error('audit-reader', { reason: failureReason(e) })
    }
  }

  const buses = topology.buses.filter((b) =>
    topology.streams.some((st) => st.bus === b.name && st.name === AUDIT_STREAM),
  )
  const connections: NatsConnection[] = []
  try {
    for (const bus of buses) {
      connections.push(
        await connectAs({
          topology,
          keysDir: config.paths.keys,
          identity: AUDIT_SINK,
          bus: bus.name,
        }),
      )
    }
  } catch (e) {
    await closeAll(connections)
    await readerServer?.close()
    await store.close()
    throw e
  }

  const batch = createBatcher({
    store,
    mirrors,
    log,
    batchSize: config.audit.batchSize,
    batchMaxWaitMs: config.audit.batchMaxWaitMs,
    ackWaitMs: config.bus.ackWaitMs,
  })
  let stopping = false
  const fetches = new Set<ConsumerMessages>()
  const loops = buses.map((bus, i) => pullLoop(bus.name, connections[i]!))

  async function pullLoop(bus: BusName, nc: NatsConnection): Promise<void> {
    let consumer: Consumer | undefined
    let failures = 0
    while (!stopping) {
      try {
        consumer ??= await jetstream(nc).consumers.get(AUDIT_STREAM, AUDIT_SINK)
        const messages = await consumer.fetch({
          max_messages: config.audit.batchSize,
          expires: FETCH_EXPIRES_MS,
        })
        fetches.add(messages)
        try {
          for await (const msg of messages) {
            if (stopping) {
              msg.nak()
              continue
            }
            const events = read({
              subject: msg.subject,
              data: msg.data,
              bus,
              streamSeq: msg.info.streamSequence,
              storedAtNanos: msg.timestampNanos,
            })
            await batch.add({ msg, events, touched: Date.now() })
          }
        } finally {
          fetches.delete(messages)
        }
        failures = 0
      } catch (e) {
        if (stopping) return
        if (failures++ % LOG_EVERY_FAILURES === 0)
          log.warn('audit-fetch', { bus, reason: failureReason(e) })
        await new Promise((r) => setTimeout(r, backoff(failures)))
      }
    }
  }

  return {
    async stop() {
      stopping = true
      // A fetch waiting on a quiet stream ends now, not when it expires.
      for (const messages of fetches) messages.stop()
      await Promise.allSettled(loops)
      await batch.close()
      await readerServer?.close()
      // Closing the store signs its head; that checkpoint goes out with the mirrors' flush.
      await store.close()
      await mirrors.flush(MIRROR_FLUSH_MS)
      await mirrors.close()
      await closeAll(connections)
    },
  }
}

/**
 * Gathers events from every bus into batches of about `batchSize` (a message's events stay
 * in one batch, so one may go over by a message's worth), written at most
 * `batchMaxWaitMs` after the first one arrived; one write at a time, since the chain has one
 * head. `add` waits while a full batch is being written: the streams hold the backlog. A
 * write that fails is tried again until it commits (or the sink stops); every message held
 * meanwhile is told `working` before its ack wait runs out.
 */
function createBatcher(opts: {
  store: AuditStore
  mirrors: AuditMirrors
  log: Logger
  batchSize: number
  batchMaxWaitMs: number
  ackWaitMs: number
}) {
  const { store, mirrors, log } = opts
  const metrics = auditSinkMetrics()
  let pending: Pending[] = []
  let pendingEvents = 0
  const held = new Set<Pending>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let writing: Promise<void> = Promise.resolve()
  let closing = false
  let wakeRetry: (() => void) | undefined

  const touchEvery = Math.max(100, Math.floor(opts.ackWaitMs / 3))
  const keepAlive = setInterval(() => {
    const now = Date.now()
    for (const p of held) {
      if (now - p.touched < touchEvery) continue
      p.msg.working()
      p.touched = now
    }
  }, touchEvery)
  keepAlive.unref()

  const commit = async (items: Pending[]): Promise<void> => {
    const result = await store.append(items.flatMap((p) => p.events))
    const rejected = new Map(result.rejected.map((r) => [r.index, r]))
    const stored: AuditEvent[] = []
    let index = 0
    for (const p of items) {
      held.delete(p)
      let kept = 0
      for (const event of p.events) {
        const r = rejected.get(index++)
        if (r) {
          // Cannot happen: the reader refuses whatever the store would (the same rowOfEvent).
          log.error('audit-rejected', { event: event.id, problem: r.problem })
          continue
        }
        kept++
        stored.push(event)
        mirrors.send({ kind: 'event', event })
      }
      if (kept === 0) p.msg.term()
      else p.msg.ack()
    }
    metrics.committed(stored, result)
    log.debug('audit-written', { written: result.written, skipped: result.skipped })
  }

  const write = async (items: Pending[]): Promise<void> => {
    if (items.length === 0) return
    for (let attempt = 1; ; attempt++) {
      try {
        await commit(items)
        if (attempt > 1) log.info('audit-write-recovered', { events: items.length, attempt })
        return
      } catch (e) {
        // Nothing was committed: the same batch goes again, and ids already stored are skipped.
        if (attempt % LOG_EVERY_FAILURES === 1) {
          log.error('audit-write-failed', {
            events: items.length,
            attempt,
            reason: failureReason(e),
          })
        }
        if (closing) {
          // Stopping: the stream hands these to the next run.
          for (const p of items) {
            held.delete(p)
            p.msg.nak()
          }
          return
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff(attempt))
          wakeRetry = () => {
            clearTimeout(t)
            resolve()
          }
        })
        wakeRetry = undefined
      }
    }
  }

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer)
    timer = undefined
    const items = pending
    pending = []
    pendingEvents = 0
    writing = writing.then(() => write(items))
    return writing
  }

  return {
    async add(p: Pending): Promise<void> {
      held.add(p)
      pending.push(p)
      pendingEvents += p.events.length
      if (pendingEvents >= opts.batchSize) {
        await flush()
        return
      }
      timer ??= setTimeout(() => void flush(), opts.batchMaxWaitMs)
    },
    async close(): Promise<void> {
      closing = true
      wakeRetry?.()
      await flush()
      clearInterval(keepAlive)
    },
  }
}
