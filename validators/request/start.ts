/**
 * The request validator at work: NATS-1 (dirty requests) in, NATS-2 (clean requests) or
 * NATS-4 (rejections) out. Connects as its own identity to the three buses.
 */
import { jetstream } from '@nats-io/jetstream'
import {
  decodeRequest,
  encodeResponse,
  errorResponse,
  subjects,
  type BusName,
} from '../../core/index.js'
import type { LoadedConfig } from '../../config/index.js'
import { describeTopology } from '../../topology/index.js'
import { connectAs } from '../../bus/connect.js'
import {
  asGatewayError,
  closeAll,
  publishEnvelope,
  startStage,
  streamOn,
  type StageMessage,
} from '../../bus/stage.js'
import type { Logger, Running } from '../../runtime/index.js'
import { compileHosts } from '../lib/index.js'
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
  const topology = describeTopology(config)
  const validate = createRequestValidator({
    deployment: config.deployment,
    hosts: compileHosts(config.openapi),
    maxBodyBytes: config.edge.maxBodyBytes,
  })
  const connect = (server: BusName) =>
    connectAs({
      topology,
      keysDir: config.paths.keys,
      identity: COMPONENT,
      server,
    })
  const connections = await Promise.all([connect('dreq'), connect('creq'), connect('cresp')])
  const [dreq, creq, cresp] = connections
  const creqJs = jetstream(creq)
  const crespJs = jetstream(cresp)
  const creqStream = streamOn(topology, 'creq')
  const crespStream = streamOn(topology, 'cresp')

  const deadLetter = async (msg: StageMessage, error: unknown) => {
    const request = decodeRequest(msg.headers, msg.data)
    const wire = encodeResponse(errorResponse(request, asGatewayError(error)))
    const subject = subjects.cleanResponse('request-validator', request.host)
    await publishEnvelope(crespJs, subject, wire, {
      stream: crespStream,
      requestId: request.requestId,
    })
  }

  try {
    const stage = await startStage({
      name: COMPONENT,
      nc: dreq,
      stream: streamOn(topology, 'dreq'),
      consumer: COMPONENT,
      log,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      deadLetter,
      async handle(msg) {
        const verdict = validate(msg, Date.now())
        if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
        if (verdict.kind === 'forward') {
          await publishEnvelope(creqJs, verdict.subject, verdict.wire, {
            stream: creqStream,
            requestId: verdict.requestId,
          })
          log.debug('forward', { requestId: verdict.requestId, operation: verdict.operation })
          return
        }
        await publishEnvelope(crespJs, verdict.subject, verdict.wire, {
          stream: crespStream,
          requestId: verdict.requestId,
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
        await closeAll(connections)
      },
    }
  } catch (e) {
    await closeAll(connections)
    throw e
  }
}
