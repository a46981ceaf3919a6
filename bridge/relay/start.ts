/**
 * The relay at work: link requests in -> NATS-1; NATS-4 clean responses in -> link replies.
 * Connects as `relay` to the link server, NATS-1 and NATS-4. Replicas share the link
 * requests through a queue group and NATS-4 through the durable consumer.
 */
import type { Msg, Subscription } from '@nats-io/nats-core'
import { decodeResponse, encodeResponse, errorResponse, subjects } from '../../core/index.js'
import type { LoadedConfig } from '../../config/index.js'
import { createAuditPublisher } from '../../bus/audit.js'
import { connectComponent } from '../../bus/component.js'
import { asGatewayError, PUBLISH_TIMEOUT_MS, startStage } from '../../bus/stage.js'
import type { Logger, Running } from '../../runtime/index.js'
import { createRelay } from './handler.js'

export const COMPONENT = 'relay'
export const QUEUE = 'relay'
/** Link requests in work at once; beyond this the relay answers BUS_UNAVAILABLE at once. */
export const MAX_IN_FLIGHT = 4_096

export interface RelayRunOptions {
  concurrency?: number
}

export async function startRelay(
  config: LoadedConfig,
  log: Logger,
  options: RelayRunOptions = {},
): Promise<Running> {
  const relay = createRelay({ publishTimeoutMs: PUBLISH_TIMEOUT_MS })
  const buses = await connectComponent(config, COMPONENT, ['link', 'dreq', 'cresp'])
  const link = buses.on('link')
  const audit = createAuditPublisher({ buses, topology: buses.topology, identity: COMPONENT, log })
  const inFlight = new Set<Promise<void>>()

  const onLinkRequest = async (msg: Msg): Promise<void> => {
    const startedAt = Date.now()
    const verdict = relay.linkRequest(msg, startedAt)
    switch (verdict.kind) {
      case 'drop':
        log.warn('dropped', {
          from: msg.subject,
          reason: verdict.reason,
          requestId: verdict.requestId,
        })
        return
      case 'answer':
        link.publish(verdict.replyTo, verdict.wire.data, { headers: verdict.wire.headers })
        log.info('refuse', {
          requestId: verdict.requestId,
          code: verdict.code,
          reason: verdict.reason,
        })
        audit.record({
          step: 'request',
          stage: 'relay',
          verdict: 'reject',
          request: verdict.request,
          startedAt,
          code: verdict.code,
          reason: verdict.reason,
        })
        return
      case 'publish': {
        const { request } = verdict
        try {
          const ack = await buses.publish(
            'dreq',
            verdict.subject,
            verdict.wire,
            request.requestId,
            verdict.timeoutMs,
          )
          if (ack.duplicate) log.info('duplicate', { requestId: request.requestId })
          audit.record({
            step: 'request',
            stage: 'relay',
            verdict: 'accept',
            request,
            startedAt,
            body: request.body,
          })
        } catch (e) {
          const reason = asGatewayError(e).reason ?? 'publish failed'
          const wire = relay.busUnavailable(request, reason)
          link.publish(request.replyTo!, wire.data, { headers: wire.headers })
          log.warn('bus-unavailable', { requestId: request.requestId, reason })
          audit.record({
            step: 'request',
            stage: 'relay',
            verdict: 'error',
            request,
            startedAt,
            code: 'BUS_UNAVAILABLE',
            reason,
          })
        }
      }
    }
  }

  let sub: Subscription | undefined
  try {
    sub = link.subscribe(subjects.linkRequestAll, {
      queue: QUEUE,
      callback: (err, msg) => {
        if (err) {
          log.error('link-subscription', { reason: err.message })
          return
        }
        if (inFlight.size >= MAX_IN_FLIGHT) {
          const verdict = relay.linkRequest(msg, Date.now())
          if (verdict.kind === 'publish') {
            const wire = relay.busUnavailable(verdict.request, 'relay is at capacity')
            link.publish(verdict.request.replyTo!, wire.data, { headers: wire.headers })
          } else if (verdict.kind === 'answer') {
            link.publish(verdict.replyTo, verdict.wire.data, { headers: verdict.wire.headers })
          }
          log.warn('at-capacity', { inFlight: inFlight.size })
          return
        }
        const p = onLinkRequest(msg).catch((e) => log.error('link-request', { reason: String(e) }))
        inFlight.add(p)
        void p.finally(() => inFlight.delete(p))
      },
    })
    // The subscription is live on the link server before the relay says it is ready.
    await link.flush()

    const stage = await startStage({
      name: COMPONENT,
      nc: buses.on('cresp'),
      stream: buses.stream('cresp'),
      consumer: COMPONENT,
      log,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      async handle(msg) {
        const verdict = relay.cleanResponse(msg, Date.now())
        if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
        if (link.isClosed()) throw new Error('link connection is closed')
        link.publish(verdict.replyTo, verdict.wire.data, { headers: verdict.wire.headers })
        audit.record({
          step: 'response',
          stage: 'relay',
          verdict: 'accept',
          request: verdict.request,
          status: verdict.status,
        })
        log.debug('answer', {
          requestId: verdict.requestId,
          stage: verdict.stage,
          status: verdict.status,
          code: verdict.code,
        })
      },
      async deadLetter(msg, error) {
        const { request } = decodeResponse(msg.headers, msg.data)
        if (!request.replyTo) throw new Error('no reply stamp')
        const failure = asGatewayError(error)
        const wire = encodeResponse(errorResponse(request, failure))
        link.publish(request.replyTo, wire.data, { headers: wire.headers })
        audit.record({
          step: 'response',
          stage: 'relay',
          verdict: 'error',
          request,
          code: failure.code,
          reason: `dead letter: ${failure.reason ?? failure.code}`,
        })
      },
    })

    return {
      async stop() {
        await sub?.drain().catch(() => undefined)
        await Promise.all(inFlight)
        await stage.stop()
        await audit.flush()
        await buses.close()
      },
    }
  } catch (e) {
    await buses.close()
    throw e
  }
}
