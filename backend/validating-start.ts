/**
 * The validating backend connector at work (`single-validation` topology): NATS-1 (its
 * host's dirty requests) in, the validator library's request contract, the operator's HTTP
 * API, the response contract, NATS-4 (clean responses, as `backend`) out. Connects as
 * `backend-<host>`; the brokers let it read only its host's requests and answer only for it.
 */
import { decodeRequest, encodeResponse, errorResponse, subjects } from '../core/index.js'
import type { LoadedConfig } from '../config/index.js'
import { backendIdentity } from '../topology/index.js'
import { createAuditPublisher, type AuditRecord } from '../bus/audit.js'
import { connectComponent } from '../bus/component.js'
import { asGatewayError, DEFAULT_CONCURRENCY, startStage, type StageMessage } from '../bus/stage.js'
import type { Logger, Running } from '../runtime/index.js'
import {
  accessTokenVerifier,
  compileHosts,
  compileRequestHosts,
  compileUserDataFor,
  compileResponseRulesFor,
  readAccessJwks,
} from '../validators/lib/index.js'
import { OnceMemory } from './once.js'
import { createUpstreamClient } from './upstream.js'
import { createValidatingBackend, type StepVerdict, type ValidatedAnswer } from './validating.js'
import { MAX_DELIVERED_IDS, MAX_PENDING_ANSWERS } from './limits.js'

export async function startValidatingBackend(
  config: LoadedConfig,
  log: Logger,
  host: string,
  options: { concurrency?: number } = {},
): Promise<Running> {
  const upstream = Object.hasOwn(config.upstreams, host) ? config.upstreams[host] : undefined
  if (!upstream) throw new Error(`no upstream host ${host} in the config`)
  const identity = backendIdentity(host)
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const client = createUpstreamClient({
    maxResponseBytes: upstream.maxResponseBytes,
    maxSockets: concurrency,
  })
  const memory = new OnceMemory<ValidatedAnswer>({
    ttlMs: config.bus.duplicateWindowMs,
    maxPending: MAX_PENDING_ANSWERS,
    maxDelivered: MAX_DELIVERED_IDS,
  })
  // Only this host's contract: the connector never needs another host's schemas.
  const openapi = { [host]: config.openapi[host]! }
  const handle = createValidatingBackend({
    host,
    upstream,
    call: client.call,
    memory,
    requestContract: {
      deployment: config.deployment,
      hosts: compileRequestHosts(openapi, config.validation),
      maxBodyBytes: config.edge.maxBodyBytes,
      policy: config.validation,
      accessTokens: accessTokenVerifier(readAccessJwks(config.paths.keys)),
      userData: compileUserDataFor(openapi, config.validation.response),
    },
    responseContract: {
      hosts: compileHosts(openapi),
      rules: compileResponseRulesFor(openapi, config.validation.response),
    },
  })

  const buses = await connectComponent(config, identity, ['dreq', 'cresp']).catch((e: unknown) => {
    client.close()
    throw e
  })
  const audit = createAuditPublisher({ buses, topology: buses.topology, identity, log })
  const subject = subjects.cleanResponse('backend', host)

  const deadLetter = async (msg: StageMessage, error: unknown) => {
    const request = decodeRequest(msg.headers, msg.data)
    const failure = asGatewayError(error)
    const wire = encodeResponse(errorResponse(request, failure))
    await buses.publish('cresp', subject, wire, request.requestId)
    memory.markDelivered(request.requestId, Date.now())
    audit.record({
      step: 'request',
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
      nc: buses.on('dreq'),
      stream: buses.stream('dreq'),
      consumer: identity,
      concurrency,
      log,
      deadLetter,
      async handle(msg) {
        const startedAt = Date.now()
        const verdict = await handle(msg, startedAt)
        if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
        await buses.publish('cresp', verdict.subject, verdict.wire, verdict.requestId)
        memory.markDelivered(verdict.requestId, Date.now())
        const { answer, request } = verdict
        // One event per stage crossed, as the separate processes would record them.
        const step = (
          name: string,
          stageName: AuditRecord['stage'],
          v: StepVerdict,
          body?: Uint8Array,
        ) =>
          audit.record({
            step: name,
            stage: stageName,
            verdict: v.verdict,
            request,
            startedAt,
            ...(v.code === undefined ? {} : { code: v.code }),
            ...(v.reason === undefined ? {} : { reason: v.reason }),
            ...(v.status === undefined ? {} : { status: v.status }),
            ...(v.actor === undefined ? {} : { actor: v.actor }),
            ...(body === undefined ? {} : { body }),
          })
        step('request', 'request-validator', answer.request, request.body)
        if (answer.upstream) step('upstream', 'backend', answer.upstream)
        if (answer.contract) step('response', 'response-validator', answer.contract)
        const fields = {
          requestId: verdict.requestId,
          status: answer.response.status,
          code: answer.response.error,
          reused: verdict.reused || undefined,
        }
        if (answer.response.error)
          log.info('answer', {
            ...fields,
            reason: answer.request.reason ?? answer.upstream?.reason ?? answer.contract?.reason,
          })
        else log.debug('answer', fields)
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
