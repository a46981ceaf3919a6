/**
 * The response validator at work: NATS-3 (dirty responses) in, NATS-4 (clean responses)
 * out. Connects as its own identity to the two buses.
 */
import { jetstream } from '@nats-io/jetstream'
import {
  decodeResponse,
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
  const topology = describeTopology(config)
  const validate = createResponseValidator({ hosts: compileHosts(config.openapi) })
  const connect = (server: BusName) =>
    connectAs({
      topology,
      keysDir: config.paths.keys,
      identity: COMPONENT,
      server,
    })
  const connections = await Promise.all([connect('dresp'), connect('cresp')])
  const [dresp, cresp] = connections
  const crespJs = jetstream(cresp)
  const crespStream = streamOn(topology, 'cresp')

  const deadLetter = async (msg: StageMessage, error: unknown) => {
    const { request } = decodeResponse(msg.headers, msg.data)
    const wire = encodeResponse(errorResponse(request, asGatewayError(error)))
    const subject = subjects.cleanResponse('response-validator', request.host)
    await publishEnvelope(crespJs, subject, wire, {
      stream: crespStream,
      requestId: request.requestId,
    })
  }

  try {
    const stage = await startStage({
      name: COMPONENT,
      nc: dresp,
      stream: streamOn(topology, 'dresp'),
      consumer: COMPONENT,
      log,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      deadLetter,
      async handle(msg) {
        const verdict = validate(msg, Date.now())
        if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
        await publishEnvelope(crespJs, verdict.subject, verdict.wire, {
          stream: crespStream,
          requestId: verdict.requestId,
        })
        const fields = { requestId: verdict.requestId, status: verdict.status, code: verdict.code }
        if (verdict.refused) log.info('refuse', { ...fields, reason: verdict.reason })
        else log.debug('pass', fields)
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
