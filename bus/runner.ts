/**
 * One stage process, wired once for all five (relay, both validators, the backend connector
 * and the validating backend): a stage's `start.ts` names its buses and hands in its pure
 * handler; the runner does the rest, the same way for each.
 *
 * - connects as the component's identity to the buses it names, and opens its audit
 *   publisher on its audit bus;
 * - consumes its input stream through the durable consumer named after the identity
 *   (`startStage`), and optionally a core subscription beside it (the relay's link requests);
 * - sends what the handler decided: a JetStream publish, acknowledged, to a bus that keeps a
 *   stream, or a plain publish to one that does not (the link); then records the handler's
 *   audit events and writes its log line, and acks the input only once those events are
 *   acknowledged by the audit bus (the slot is free at once; only the ack waits), so a
 *   process that dies in between gets the message again and no event is lost;
 * - the dead-letter path: a message that failed on its last delivery is answered with the
 *   error through the stage's normal output, audited, then acked;
 * - stops in order: stop taking work (subscription, pulls), finish the work in hand, flush
 *   the audit events and send the acks that waited on them, close what the component opened
 *   (its HTTP agent), drain the connections.
 *
 * The process's ready line comes from `runMain` once `runStage` resolves, which is after the
 * consumer is bound and the subscription is live on its server.
 */
import type { Msg, Subscription } from '@nats-io/nats-core'
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import {
  asGatewayError,
  decodeRequest,
  decodeResponse,
  encodeResponse,
  errorResponse,
  failureReason,
  GatewayError,
  refusalReason,
  setTraceOf,
  traceOf,
  type BusName,
  type RequestContext,
  type WireMessage,
} from '../core/index.js'
import type { LoadedConfig } from '../config/index.js'
import {
  stageSpan,
  startTracing,
  stopTracing,
  tracingOn,
  type Logger,
  type Running,
  type StageSpan,
} from '../runtime/index.js'
import { createAuditPublisher, type AuditPublisher, type AuditRecord } from './audit.js'
import { connectComponent, type ComponentBuses } from './component.js'
import { stageMetrics, watchConsumer } from './metrics.js'
import { startStage, type Stage, type StageMessage, type StageOutcome } from './stage.js'

/** One message out: where, what, and the request it answers (its `Nats-Msg-Id`). */
export interface Send {
  bus: BusName
  subject: string
  wire: WireMessage
  requestId: string
  /** Bound on the JetStream acknowledgement (default `PUBLISH_TIMEOUT_MS`). */
  timeoutMs?: number
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  event: string
  fields: Record<string, unknown>
}

/** What a stage decided for one message, in terms the runner acts on. */
export type StageResult =
  | { drop: string; requestId?: string }
  | {
      send: Send
      /** Recorded once the send is acknowledged. */
      audit?: AuditRecord | AuditRecord[]
      log?: LogLine
      /**
       * Only for a subscription's messages, which nothing redelivers: what to do instead when
       * `send` is not acknowledged (answer the client BUS_UNAVAILABLE, say).
       */
      orElse?: (error: unknown) => StageResult
    }

export interface DeadLetter {
  /** The envelope the input stream carries. */
  reads: 'request' | 'response'
  /** Where the error answer for `request` goes: the stage's normal output. */
  to(request: RequestContext): { bus: BusName; subject: string }
  audit: Pick<AuditRecord, 'step' | 'stage'>
}

/** A core-NATS subscription beside the stream (the relay's link requests). */
export interface Intake {
  bus: BusName
  subject: string
  queue: string
  /** Messages in work at once; beyond it `overloaded` answers at once. */
  maxInFlight: number
  handle(msg: Msg, now: number): StageResult | Promise<StageResult>
  /** The answer when the intake is full (or nothing, to drop). */
  overloaded(msg: Msg, now: number): Send | undefined
}

/** What a stage does with its messages, made once its buses are connected. */
export interface StageHandlers {
  handle(msg: StageMessage, now: number): StageResult | Promise<StageResult>
  deadLetter: DeadLetter
  /** Told once an answer for `requestId` is acknowledged downstream and its audit events are safe (dead letters too). */
  delivered?(requestId: string, now: number): void
  intake?: Intake
  /** Told of every core message sent (not a stream publish): the relay counts its answers. */
  sent?(send: Send, now: number): void
}

export interface StageDefinition {
  /** The component's identity: its credentials on every bus and its durable consumer's name. */
  identity: string
  /** Every bus it connects to. */
  buses: BusName[]
  /** The bus whose stream it consumes. */
  input: BusName
  concurrency?: number
  /** The stage's handlers, given its connections (a store on a bus is made here). */
  stage(buses: ComponentBuses): StageHandlers
  /** Closes what the component opened besides its buses (an HTTP agent); at stop, last. */
  close?(): void
}

const SETTLED = Promise.resolve()

/**
 * A stage's span around one result: what it sends carries the span as the next hop's parent,
 * and the span closes with the outcome its audit event tells (status, problem code).
 */
/**
 * A result's span before its send: the next hop's trace names this span as its parent, and
 * the request's attributes are set. The span ends once the send is settled (`spanEndOf`).
 */
function traced(result: StageResult, span: StageSpan): StageResult {
  if ('drop' in result) {
    span.span.setAttribute('portcullis.dropped', result.drop)
    return result
  }
  const wire = result.send.wire.headers
  if (traceOf(wire)) setTraceOf(wire, span.next)
  const record = Array.isArray(result.audit) ? result.audit[0] : result.audit
  if (record) {
    const r = record.request
    span.span.setAttributes({
      'portcullis.request_id': r.requestId,
      'http.request.method': r.method,
      'server.address': r.host,
      'url.path': r.path,
    })
  }
  return result
}

/** How a result's span ends: the answer's status, and its problem code when it refused. */
function spanEndOf(result: StageResult): Parameters<StageSpan['end']>[0] {
  if ('drop' in result) return {}
  const record = Array.isArray(result.audit) ? result.audit[0] : result.audit
  return {
    ...(record?.status !== undefined && { status: record.status }),
    ...(record && record.verdict !== 'accept' && record.code && { code: record.code }),
  }
}
/** Thrown (and caught) inside an intake message's handling: it was dropped, not failed. */
const DROPPED = Symbol('dropped')

export interface RunningStage extends Running {
  readonly buses: ComponentBuses
  readonly audit: AuditPublisher
}

/** Connects, starts consuming, and returns once the stage serves. */
export async function runStage(
  config: LoadedConfig,
  log: Logger,
  definition: StageDefinition,
): Promise<RunningStage> {
  const { identity, input, concurrency } = definition
  let buses: ComponentBuses
  const { otlpUrl } = config.tracing
  if (otlpUrl) startTracing(`portcullis-${identity}`, otlpUrl)
  try {
    buses = await connectComponent(config, identity, definition.buses)
  } catch (e) {
    definition.close?.()
    throw e
  }
  let def: StageHandlers
  try {
    def = definition.stage(buses)
  } catch (e) {
    await buses.close()
    definition.close?.()
    throw e
  }
  const audit = createAuditPublisher({ buses, topology: buses.topology, identity, log })
  // Buses whose request-path stream takes a send (the link keeps only its audit stream).
  const streamed = new Set(
    buses.topology.streams.filter((s) => s.kind === 'data').map((s) => s.bus),
  )

  const metrics = stageMetrics()
  const send = async (s: Send): Promise<void> => {
    if (streamed.has(s.bus)) {
      const started = performance.now()
      const ack = await buses.publish(s.bus, s.subject, s.wire, s.requestId, s.timeoutMs)
      metrics.publish.observe({ stage: identity, bus: s.bus }, (performance.now() - started) / 1e3)
      if (ack.duplicate) log.info('duplicate', { stage: identity, requestId: s.requestId })
      return
    }
    const nc = buses.on(s.bus)
    if (nc.isClosed()) {
      throw new GatewayError('BUS_UNAVAILABLE', { reason: `the ${s.bus} connection is closed` })
    }
    nc.publish(s.subject, s.wire.data, { headers: s.wire.headers })
    def.sent?.(s, Date.now())
  }

  /**
   * After a send: audit events, log line, and once the events are safe the delivery hook.
   * Resolves when the events are safe, rejects when they were not taken: then the input is
   * handed back, and the stage's memory must not have called it delivered.
   */
  const finish = (result: Exclude<StageResult, { drop: string }>): Promise<unknown> => {
    const records = result.audit
    for (const r of Array.isArray(records) ? records : records ? [records] : []) {
      if (r.verdict !== 'accept' && r.code) metrics.refusals.inc({ stage: identity, code: r.code })
    }
    const safe = Array.isArray(records)
      ? Promise.all(records.map((r) => audit.record(r)))
      : records
        ? audit.record(records)
        : SETTLED
    if (result.log) {
      // The request's trace id beside its request id, so a log line leads to its trace.
      const traceId = (Array.isArray(records) ? records[0] : records)?.request.trace?.traceId
      const { level, event, fields } = result.log
      log[level](event, traceId ? { ...fields, traceId } : fields)
    }
    const { delivered } = def
    if (!delivered) return safe
    const { requestId } = result.send
    return safe.then(() => delivered(requestId, Date.now()))
  }

  /**
   * Acts on a result: resolves once its send is acknowledged (throws when it is not), with
   * the input's ack held until the result's audit events are safe.
   */
  const act = async (result: StageResult): Promise<StageOutcome> => {
    if ('drop' in result) return result
    await send(result.send)
    return { ackAfter: finish(result) }
  }

  let sub: Subscription | undefined
  let stopping = false
  let stage: Stage | undefined
  const inFlight = new Set<Promise<void>>()
  try {
    const { intake } = def
    if (intake) {
      sub = await subscribe(intake)
      // The intake's connection moved off a node going away: subscribe on the new one first;
      // the old connection is drained after this, with the subscription on it.
      buses.onMoved(intake.bus, async () => {
        if (stopping) return
        sub = await subscribe(intake)
        log.info('moved', { bus: intake.bus, reason: 'its node went lame duck' })
      })
    }
    stage = await startStage({
      name: identity,
      nc: buses.on(input),
      stream: buses.stream(input),
      consumer: identity,
      log,
      ...(concurrency ? { concurrency } : {}),
      handle: async (msg) => {
        const started = performance.now()
        if (msg.deliveryCount > 1) metrics.redeliveries.inc({ stage: identity })
        const span = tracingOn()
          ? stageSpan(identity, traceOf(msg.headers), { 'portcullis.stage': identity })
          : undefined
        try {
          const result = span
            ? traced(await span.run(() => def.handle(msg, Date.now())), span)
            : await def.handle(msg, Date.now())
          const outcome = await act(result)
          span?.end(spanEndOf(result))
          metrics.messages.inc({
            stage: identity,
            outcome: outcome && 'drop' in outcome ? 'dropped' : 'sent',
          })
          return outcome
        } catch (e) {
          span?.end({ failed: true })
          metrics.messages.inc({ stage: identity, outcome: 'failed' })
          throw e
        } finally {
          metrics.duration.observe({ stage: identity }, (performance.now() - started) / 1e3)
        }
      },
      deadLetter: async (msg, error) => {
        const { reads, to, audit: step } = def.deadLetter
        const request =
          reads === 'request'
            ? decodeRequest(msg.headers, msg.data)
            : decodeResponse(msg.headers, msg.data).request
        const failure = asGatewayError(error)
        metrics.messages.inc({ stage: identity, outcome: 'dead_letter' })
        const outcome = await act({
          send: {
            ...to(request),
            wire: encodeResponse(errorResponse(request, failure)),
            requestId: request.requestId,
          },
          audit: {
            ...step,
            verdict: 'error',
            request,
            code: failure.code,
            reason: `dead letter: ${refusalReason(failure)}`,
          },
        })
        if (outcome && 'ackAfter' in outcome) await outcome.ackAfter
      },
    })
  } catch (e) {
    await sub?.drain().catch(() => undefined)
    await buses.close()
    definition.close?.()
    throw e
  }

  async function subscribe(intake: Intake): Promise<Subscription> {
    const nc = buses.on(intake.bus)
    const stage = `${identity}:${intake.bus}`
    const one = async (msg: Msg): Promise<void> => {
      const started = performance.now()
      try {
        await handleOne(msg)
        metrics.messages.inc({ stage, outcome: 'sent' })
      } catch (e) {
        metrics.messages.inc({ stage, outcome: e === DROPPED ? 'dropped' : 'failed' })
        if (e !== DROPPED) throw e
      } finally {
        metrics.duration.observe({ stage }, (performance.now() - started) / 1e3)
      }
    }
    const handleOne = async (msg: Msg): Promise<void> => {
      const now = Date.now()
      const span = tracingOn()
        ? stageSpan(stage, traceOf(msg.headers), { 'portcullis.stage': stage })
        : undefined
      let result = span
        ? traced(await span.run(() => intake.handle(msg, now)), span)
        : await intake.handle(msg, now)
      if ('drop' in result) {
        span?.end({})
        log.warn('dropped', { from: msg.subject, reason: result.drop, requestId: result.requestId })
        throw DROPPED
      }
      try {
        await send(result.send)
      } catch (e) {
        if (!result.orElse) {
          span?.end({ failed: true })
          throw e
        }
        result = result.orElse(e)
        if ('drop' in result) {
          span?.end({ failed: true })
          throw DROPPED
        }
        if (span) traced(result, span)
        try {
          await send(result.send)
        } catch (again) {
          span?.end({ failed: true })
          throw again
        }
      }
      span?.end(spanEndOf(result))
      // Nothing hands a core message back: an event given up is logged by the publisher.
      void finish(result).catch(() => undefined)
    }
    const s = nc.subscribe(intake.subject, {
      queue: intake.queue,
      callback: (err, msg) => {
        if (err) {
          log.error('subscription', { subject: intake.subject, reason: err.message })
          return
        }
        if (inFlight.size >= intake.maxInFlight) {
          const answer = intake.overloaded(msg, Date.now())
          if (answer) void send(answer).catch(() => undefined)
          log.warn('at-capacity', { inFlight: inFlight.size })
          return
        }
        const p = one(msg).catch((e: unknown) =>
          log.error('intake', { subject: msg.subject, reason: failureReason(e) }),
        )
        inFlight.add(p)
        void p.finally(() => inFlight.delete(p))
      },
    })
    // The subscription is live on its server before the stage says it is ready.
    await nc.flush()
    return s
  }

  const consuming = stage
  let jsm: Promise<JetStreamManager> | undefined
  watchConsumer(identity, buses.stream(input), () => {
    jsm ??= jetstreamManager(buses.on(input), { checkAPI: false })
    return jsm
  })
  return {
    buses,
    audit,
    async stop() {
      stopping = true
      await sub?.drain().catch(() => undefined)
      await Promise.all(inFlight)
      await consuming.stop()
      await audit.flush()
      await consuming.acked()
      definition.close?.()
      await buses.close()
      await stopTracing()
    },
  }
}
