/**
 * One backend connector at work for one upstream host: NATS-2 (its host's clean requests)
 * in, the operator's HTTP API, NATS-3 (dirty responses) out. Connects as `backend-<host>`,
 * the identity the brokers pin to that host's subjects; `runStage` does the wiring.
 *
 * `connectorOf` is the one place a connector's parts are made (the HTTP client, the
 * redelivery memory): both start files take them from there.
 */
import { SetupError, subjects } from '../core/index.js'
import { reloadableUpstreamOf, type LoadedConfig } from '../config/index.js'
import { backendIdentity } from '../topology/index.js'
import { runStage, type StageResult } from '../bus/runner.js'
import { DEFAULT_CONCURRENCY } from '../bus/stage.js'
import {
  closingWith,
  liveOf,
  type ConfigSource,
  type Logger,
  type Running,
} from '../runtime/index.js'
import { createBackendHandler, type Answer, type BackendVerdict } from './handler.js'
import { createIdempotencyStore } from './idempotency-store.js'
import { MAX_DELIVERED_IDS, MAX_PENDING_ANSWERS } from './limits.js'
import { OnceMemory } from './once.js'
import { tracedCall } from './traced-call.js'
import { createUpstreamClient, type UpstreamClient } from './upstream.js'

export { MAX_DELIVERED_IDS, MAX_PENDING_ANSWERS } from './limits.js'

export interface BackendRunOptions {
  concurrency?: number
}

/** What every connector of `host` is made of, whichever topology it runs in. */
export function connectorOf<Answer>(config: LoadedConfig, host: string, concurrency: number) {
  const upstream = Object.hasOwn(config.upstreams, host) ? config.upstreams[host] : undefined
  if (!upstream) {
    throw new SetupError(
      'ARGUMENT_INVALID',
      `--host ${host}: no upstream host ${host} in the config`,
      {
        key: 'upstreams',
        action: 'name an upstream of the config with --host',
      },
    )
  }
  const client: UpstreamClient = createUpstreamClient({
    maxResponseBytes: upstream.maxResponseBytes,
    maxSockets: concurrency,
  })
  const memory = new OnceMemory<Answer>({
    ttlMs: config.bus.duplicateWindowMs,
    maxPending: MAX_PENDING_ANSWERS,
    maxDelivered: MAX_DELIVERED_IDS,
  })
  return { host, identity: backendIdentity(host), upstream, client, memory }
}

/** A verdict as the runner sends, audits and logs it. */
export function resultOf(verdict: BackendVerdict, startedAt: number): StageResult {
  if (verdict.kind === 'drop') return { drop: verdict.reason, requestId: verdict.requestId }
  const { requestId, status, code, reason } = verdict
  const fields = { requestId, status, reused: verdict.reused || undefined }
  return {
    send: { bus: 'dresp', subject: verdict.subject, wire: verdict.wire, requestId },
    audit: {
      step: 'upstream',
      stage: 'backend',
      verdict: code ? 'error' : 'accept',
      request: verdict.request,
      startedAt,
      status,
      ...(code === undefined ? {} : { code }),
      ...(reason === undefined ? {} : { reason }),
    },
    log: code
      ? { level: 'info', event: 'upstream-failed', fields: { ...fields, code, reason } }
      : { level: 'debug', event: 'upstream', fields },
  }
}

/** The connector of the `isolated` and `single-nats` topologies (main.ts picks). */
export async function startBackend(
  source: ConfigSource,
  log: Logger,
  host: string,
  options: BackendRunOptions = {},
): Promise<Running> {
  const live = liveOf(source)
  const config = live.current()
  if (config.topology === 'single-validation') {
    throw new Error(
      'unreachable: the single-validation topology runs the validating connector (backend/main.ts picks)',
    )
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const { identity, upstream, client, memory } = connectorOf<Answer>(config, host, concurrency)
  const running = await runStage(config, log, {
    identity,
    buses: ['creq', 'dresp'],
    input: 'creq',
    concurrency,
    close: () => client.close(),
    stage: (buses) => {
      const idempotency = createIdempotencyStore(buses, upstream)
      // Where and how long the upstream is called follow a reload; the rest of it needs a restart.
      const handle = live.derive((c) =>
        createBackendHandler({
          host,
          upstream: { ...upstream, ...reloadableUpstreamOf(c, host) },
          call: tracedCall(client.call),
          memory,
          idempotency,
        }),
      )
      return {
        handle: async (msg, now) => resultOf(await handle.current()(msg, now), now),
        delivered: (requestId, now) => memory.markDelivered(requestId, now),
        deadLetter: {
          reads: 'request',
          to: () => ({ bus: 'dresp', subject: subjects.dirtyResponse(host) }),
          audit: { step: 'upstream', stage: 'backend' },
        },
      }
    },
  })
  return closingWith(live, running)
}
