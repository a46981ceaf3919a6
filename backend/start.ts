/**
 * One backend connector at work for one upstream host: NATS-2 (its host's clean requests)
 * in, the operator's HTTP API, NATS-3 (dirty responses) out. Connects as
 * `backend-<host>`, the identity the brokers pin to that host's subjects.
 */
import { jetstream } from '@nats-io/jetstream'
import {
  decodeRequest,
  encodeResponse,
  errorResponse,
  subjects,
  type BusName,
} from '../core/index.js'
import type { LoadedConfig } from '../config/index.js'
import { backendIdentity, describeTopology } from '../topology/index.js'
import { connectAs } from '../bus/connect.js'
import {
  asGatewayError,
  closeAll,
  DEFAULT_CONCURRENCY,
  publishEnvelope,
  startStage,
  streamOn,
  type StageMessage,
} from '../bus/stage.js'
import type { Logger, Running } from '../runtime/index.js'
import { createBackendHandler, type Answer } from './handler.js'
import { OnceMemory } from './once.js'
import { createUpstreamClient } from './upstream.js'

export const MAX_PENDING_ANSWERS = 1_024
export const MAX_DELIVERED_IDS = 200_000

export interface BackendRunOptions {
  concurrency?: number
}

export async function startBackend(
  config: LoadedConfig,
  log: Logger,
  host: string,
  options: BackendRunOptions = {},
): Promise<Running> {
  const upstream = Object.hasOwn(config.upstreams, host) ? config.upstreams[host] : undefined
  if (!upstream) throw new Error(`no upstream host ${host} in the config`)
  const identity = backendIdentity(host)
  const topology = describeTopology(config)
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

  const connect = (server: BusName) =>
    connectAs({
      topology,
      keysDir: config.paths.keys,
      identity,
      server,
    })
  const connections = await Promise.all([connect('creq'), connect('dresp')])
  const [creq, dresp] = connections
  const drespJs = jetstream(dresp)
  const drespStream = streamOn(topology, 'dresp')

  const deadLetter = async (msg: StageMessage, error: unknown) => {
    const request = decodeRequest(msg.headers, msg.data)
    const wire = encodeResponse(errorResponse(request, asGatewayError(error)))
    await publishEnvelope(drespJs, subjects.dirtyResponse(host), wire, {
      stream: drespStream,
      requestId: request.requestId,
    })
    memory.markDelivered(request.requestId, Date.now())
  }

  try {
    const stage = await startStage({
      name: identity,
      nc: creq,
      stream: streamOn(topology, 'creq'),
      consumer: identity,
      concurrency,
      log,
      deadLetter,
      async handle(msg) {
        const verdict = await handle(msg, Date.now())
        if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
        await publishEnvelope(drespJs, verdict.subject, verdict.wire, {
          stream: drespStream,
          requestId: verdict.requestId,
        })
        memory.markDelivered(verdict.requestId, Date.now())
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
        client.close()
        await closeAll(connections)
      },
    }
  } catch (e) {
    client.close()
    await closeAll(connections)
    throw e
  }
}
