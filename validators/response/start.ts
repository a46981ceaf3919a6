/**
 * The response validator at work: NATS-3 (dirty responses) in, NATS-4 (clean responses)
 * out. Connects as its own identity to the two buses.
 */
import { decodeResponse, encodeResponse, errorResponse, subjects } from '../../core/index.js'
import type { LoadedConfig } from '../../config/index.js'
import { createAuditPublisher } from '../../bus/audit.js'
import { connectComponent } from '../../bus/component.js'
import { asGatewayError, startStage, type StageMessage } from '../../bus/stage.js'
import type { Logger, Running } from '../../runtime/index.js'
import { compileHosts, compileResponseRulesFor } from '../lib/index.js'
import { createResponseValidator } from './handler.js'

export const COMPONENT = 'response-validator'

export interface ResponseValidatorRunOptions {
  concurrency?: number
}

export async function startResponseValidator(
  config: LoadedConfig,
  log: Logger,
  options: ResponseValidatorRunOptions = {},
): Promise<Running> {
  const validate = createResponseValidator({
    hosts: compileHosts(config.openapi),
    rules: compileResponseRulesFor(config.openapi, config.validation.response),
  })
  const buses = await connectComponent(config, COMPONENT, ['dresp', 'cresp'])
  const audit = createAuditPublisher({ buses, topology: buses.topology, identity: COMPONENT, log })

  const deadLetter = async (msg: StageMessage, error: unknown) => {
    const { request } = decodeResponse(msg.headers, msg.data)
    const failure = asGatewayError(error)
    const wire = encodeResponse(errorResponse(request, failure))
    const subject = subjects.cleanResponse('response-validator', request.host)
    await buses.publish('cresp', subject, wire, request.requestId)
    audit.record({
      step: 'response',
      stage: 'response-validator',
      verdict: 'error',
      request,
      code: failure.code,
      reason: `dead letter: ${failure.reason ?? failure.code}`,
    })
  }

  try {
    const stage = await startStage({
      name: COMPONENT,
      nc: buses.on('dresp'),
      stream: buses.stream('dresp'),
      consumer: COMPONENT,
      log,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      deadLetter,
      async handle(msg) {
        const startedAt = Date.now()
        const verdict = validate(msg, startedAt)
        if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
        await buses.publish('cresp', verdict.subject, verdict.wire, verdict.requestId)
        audit.record({
          step: 'response',
          stage: 'response-validator',
          verdict: verdict.refused ? 'reject' : 'accept',
          request: verdict.request,
          startedAt,
          status: verdict.status,
          ...(verdict.code === undefined ? {} : { code: verdict.code }),
          ...(verdict.refused
            ? { reason: verdict.reason ?? 'refused' }
            : verdict.dropped
              ? { reason: `dropped undeclared members: ${verdict.dropped.join(' ')}` }
              : {}),
        })
        const fields = { requestId: verdict.requestId, status: verdict.status, code: verdict.code }
        if (verdict.refused) log.info('refuse', { ...fields, reason: verdict.reason })
        else if (verdict.dropped)
          log.info('pass', { ...fields, dropped: verdict.dropped.join(' ') })
        else log.debug('pass', fields)
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
