/**
 * The request validator at work: NATS-1 (dirty requests) in, NATS-2 (clean requests) or
 * NATS-4 (rejections) out. Connects as its own identity to the three buses.
 */
import { decodeRequest, encodeResponse, errorResponse, subjects } from '../../core/index.js'
import type { LoadedConfig } from '../../config/index.js'
import { createAuditPublisher } from '../../bus/audit.js'
import { connectComponent } from '../../bus/component.js'
import { asGatewayError, startStage, type StageMessage } from '../../bus/stage.js'
import type { Logger, Running } from '../../runtime/index.js'
import { compileRequestHosts, compileUserDataFor } from '../lib/index.js'
import { accessTokenVerifier, readAccessJwks } from '../lib/index.js'
import { createRequestValidator } from './handler.js'

export const COMPONENT = 'request-validator'

export interface RequestValidatorRunOptions {
  concurrency?: number
}

export async function startRequestValidator(
  config: LoadedConfig,
  log: Logger,
  options: RequestValidatorRunOptions = {},
): Promise<Running> {
  const validate = createRequestValidator({
    deployment: config.deployment,
    hosts: compileRequestHosts(config.openapi, config.validation),
    maxBodyBytes: config.edge.maxBodyBytes,
    policy: config.validation,
    accessTokens: accessTokenVerifier(readAccessJwks(config.paths.keys)),
    userData: compileUserDataFor(config.openapi, config.validation.response),
  })
  const buses = await connectComponent(config, COMPONENT, ['dreq', 'creq', 'cresp'])
  const audit = createAuditPublisher({ buses, topology: buses.topology, identity: COMPONENT, log })

  const deadLetter = async (msg: StageMessage, error: unknown) => {
    const request = decodeRequest(msg.headers, msg.data)
    const wire = encodeResponse(errorResponse(request, asGatewayError(error)))
    const subject = subjects.cleanResponse('request-validator', request.host)
    await buses.publish('cresp', subject, wire, request.requestId)
    audit.record({
      step: 'request',
      stage: 'request-validator',
      verdict: 'error',
      request,
      code: asGatewayError(error).code,
      reason: `dead letter: ${asGatewayError(error).reason ?? String(error)}`,
    })
  }

  try {
    const stage = await startStage({
      name: COMPONENT,
      nc: buses.on('dreq'),
      stream: buses.stream('dreq'),
      consumer: COMPONENT,
      log,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      deadLetter,
      async handle(msg) {
        const startedAt = Date.now()
        const verdict = await validate(msg, startedAt)
        if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
        const { request } = verdict
        if (verdict.kind === 'forward') {
          await buses.publish('creq', verdict.subject, verdict.wire, verdict.requestId)
          audit.record({
            step: 'request',
            stage: 'request-validator',
            verdict: 'accept',
            request,
            startedAt,
            body: request.body,
            ...(verdict.actor === undefined ? {} : { actor: verdict.actor }),
          })
          log.debug('forward', { requestId: verdict.requestId, operation: verdict.operation })
          return
        }
        await buses.publish('cresp', verdict.subject, verdict.wire, verdict.requestId)
        audit.record({
          step: 'request',
          stage: 'request-validator',
          verdict: 'reject',
          request,
          startedAt,
          body: request.body,
          code: verdict.code,
          reason: verdict.reason,
        })
        log.info('reject', {
          requestId: verdict.requestId,
          code: verdict.code,
          reason: verdict.reason,
        })
      },
    })
    return {
      async stop() {
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
