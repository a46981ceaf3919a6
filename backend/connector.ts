/**
 * What every connector of a host is made of, whichever topology it runs in, and the stage
 * they share: the HTTP client and redelivery memory made once, the idempotency store on the
 * stage's buses, the upstream's reloadable keys applied at each reload (`reloadableUpstreamOf`
 * decides which), and the handler rebuilt from the live config. The two start files say only
 * which buses, which handler and where a dead letter goes.
 */
import { SetupError, type BusName } from '../core/index.js'
import { reloadableUpstreamOf, type LoadedConfig } from '../config/index.js'
import { backendIdentity } from '../topology/index.js'
import type { DeadLetter, StageDefinition, StageResult } from '../bus/runner.js'
import type { StageMessage } from '../bus/stage.js'
import { DEFAULT_CONCURRENCY } from '../bus/stage.js'
import type { StageRunOptions } from '../bus/live-stage.js'
import type { LiveConfig } from '../runtime/index.js'
import { createIdempotencyStore } from './idempotency-store.js'
import { MAX_DELIVERED_IDS, MAX_PENDING_ANSWERS } from './limits.js'
import { OnceMemory } from './once.js'
import { tracedCall } from './traced-call.js'
import type { ConnectorParts } from './parts.js'
import { createUpstreamClient } from './upstream.js'

export interface ConnectorStage<Answer, Verdict> {
  buses: BusName[]
  input: BusName
  handler(
    config: LoadedConfig,
    parts: ConnectorParts<Answer>,
  ): (msg: StageMessage, now: number) => Promise<Verdict>
  resultOf(verdict: Verdict, startedAt: number): StageResult
  deadLetter: DeadLetter
}

/** The stage definition of the connector of `host`. */
export function connectorStage<Answer, Verdict>(
  live: LiveConfig,
  host: string,
  options: StageRunOptions,
  spec: ConnectorStage<Answer, Verdict>,
): StageDefinition {
  const config = live.current()
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
  const call = tracedCall(client.call)
  return {
    identity: backendIdentity(host),
    buses: spec.buses,
    input: spec.input,
    concurrency,
    close: () => client.close(),
    stage: (buses) => {
      const idempotency = createIdempotencyStore(buses, upstream)
      // Where and how long the upstream is called follow a reload; the rest of it needs a restart.
      const handle = live.derive((c) =>
        spec.handler(c, {
          host,
          upstream: { ...upstream, ...reloadableUpstreamOf(c, host) },
          call,
          memory,
          idempotency,
        }),
      )
      return {
        handle: async (msg, now) => spec.resultOf(await handle.current()(msg, now), now),
        delivered: (requestId, now) => memory.markDelivered(requestId, now),
        deadLetter: spec.deadLetter,
      }
    },
  }
}
