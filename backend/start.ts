/**
 * One backend connector at work for one upstream host: NATS-2 (its host's clean requests)
 * in, the operator's HTTP API, NATS-3 (dirty responses) out. Connects as
 * `backend-<host>`, the identity the brokers pin to that host's subjects.
 */
import { decodeRequest, encodeResponse, errorResponse, subjects } from '../core/index.js'
import type { LoadedConfig } from '../config/index.js'
import { backendIdentity } from '../topology/index.js'
import { connectComponent } from '../bus/component.js'
import { asGatewayError, DEFAULT_CONCURRENCY, startStage, type StageMessage } from '../bus/stage.js'
import type { Logger, Running } from '../runtime/index.js'
import { createAuditPublisher } from '../bus/audit.js'
import { createBackendHandler, type Answer } from './handler.js'
import { MAX_DELIVERED_IDS, MAX_PENDING_ANSWERS } from './limits.js'
import { OnceMemory } from './once.js'
import { createUpstreamClient } from './upstream.js'
import { startValidatingBackend } from './validating-start.js'

export { MAX_DELIVERED_IDS, MAX_PENDING_ANSWERS } from './limits.js'

export interface BackendRunOptions {
  concurrency?: number
}

export async function startBackend(
  config: LoadedConfig,
  log: Logger,
  host: string,
  options: BackendRunOptions = {},
): Promise<Running> {
  // In the single-validation topology the connector is also both validators.
  if (config.topology === 'single-validation') {
    return startValidatingBackend(config, log, host, options)
  }
  const upstream = Object.hasOwn(config.upstreams, host) ? config.upstreams[host] : undefined
  if (!upstream) throw new Error(`no upstream host ${host} in the config`)
  const identity = backendIdentity(host)
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const client = createUpstreamClient({
    maxResponseBytes: upstream.maxResponseBytes,
    maxSockets: concurrency,
  })
  const memory = new OnceMemory<Answer>({
    ttlMs: config.bus.duplicateWindowMs,
    maxPending: MAX_PENDING_ANSWERS,
    maxDelivered: MAX_DELIVERED_IDS,
  })
  const handle = createBackendHandler({ host, upstream, call: client.call, memory })

  const buses = await connectComponent(config, identity, ['creq', 'dresp']).catch((e: unknown) => {
    client.close()
    throw e
  })

  const audit = createAuditPublisher({ buses, topology: buses.topology, identity, log })

  const deadLetter = async (msg: StageMessage, error: unknown) => {
    const request = decodeRequest(msg.headers, msg.data)
    const failure = asGatewayError(error)
    const wire = encodeResponse(errorResponse(request, failure))
    await buses.publish('dresp', subjects.dirtyResponse(host), wire, request.requestId)
    memory.markDelivered(request.requestId, Date.now())
    audit.record({
      step: 'upstream',
      stage: 'backend',
      verdict: 'error',
      request,
      code: failure.code,
      reason: `dead letter: ${failure.reason ?? failure.code}`,
    })
  }

  try {
    const stage = await startStage({
      name: identity,
      nc: buses.on('creq'),
      stream: buses.stream('creq'),
      consumer: identity,
      concurrency,
      log,
      deadLetter,
      async handle(msg) {
        const startedAt = Date.now()
        const verdict = await handle(msg, startedAt)
        if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
        await buses.publish('dresp', verdict.subject, verdict.wire, verdict.requestId)
        memory.markDelivered(verdict.requestId, Date.now())
        audit.record({
          step: 'upstream',
          stage: 'backend',
          verdict: verdict.code ? 'error' : 'accept',
          request: verdict.request,
          startedAt,
          status: verdict.status,
          ...(verdict.code === undefined ? {} : { code: verdict.code }),
          ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
        })
        const fields = {
          requestId: verdict.requestId,
          status: verdict.status,
          reused: verdict.reused || undefined,
        }
        if (verdict.code)
          log.info('upstream-failed', { ...fields, code: verdict.code, reason: verdict.reason })
        else log.debug('upstream', fields)
      },
    })
    return {
      async stop() {
        await stage.stop()
        await audit.flush()
        client.close()
        await buses.close()
      },
    }
  } catch (e) {
    client.close()
    await buses.close()
    throw e
  }
}
