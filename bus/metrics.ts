/**
 * What the stage runner records for every stage, the same way for each (runtime/metrics.ts
 * serves it): messages by outcome, the time a message takes in the stage (its handler and
 * the acknowledgement of what it sent), bus publish latency, redeliveries, refusals by code,
 * and the stage's durable consumer as its bus sees it, read at each scrape.
 */
import type { JetStreamManager } from '@nats-io/jetstream'
import { counter, gauge, histogram, STAGE_BUCKETS } from '../runtime/index.js'

export type StageOutcomeLabel = 'sent' | 'dropped' | 'dead_letter' | 'failed'

export function stageMetrics() {
  return {
    messages: counter({
      name: 'portcullis_stage_messages_total',
      help: 'Messages a stage finished, by outcome (sent on, dropped, dead-lettered, failed and handed back).',
      labelNames: ['stage', 'outcome'] as const,
    }),
    duration: histogram({
      name: 'portcullis_stage_duration_seconds',
      help: 'Time a message spends in a stage: its handler and the acknowledgement of what it sent.',
      labelNames: ['stage'] as const,
      buckets: STAGE_BUCKETS,
    }),
    publish: histogram({
      name: 'portcullis_bus_publish_duration_seconds',
      help: 'JetStream publish to acknowledgement, by the bus published to.',
      labelNames: ['stage', 'bus'] as const,
      buckets: STAGE_BUCKETS,
    }),
    redeliveries: counter({
      name: 'portcullis_stage_redeliveries_total',
      help: 'Messages a stage received again (delivery count above 1).',
      labelNames: ['stage'] as const,
    }),
    refusals: counter({
      name: 'portcullis_refusals_total',
      help: 'Requests a stage refused or failed, by problem code.',
      labelNames: ['stage', 'code'] as const,
    }),
  }
}

export type StageMetrics = ReturnType<typeof stageMetrics>

/** How long a read of the consumer's state may take before a scrape goes on without it. */
const CONSUMER_INFO_TIMEOUT_MS = 1_000

/**
 * The stage's consumer on its bus, read when scraped: messages waiting, delivered and not yet
 * acknowledged, and redelivered ones not yet acknowledged.
 */
export function watchConsumer(
  stage: string,
  stream: string,
  jsm: () => Promise<JetStreamManager>,
): void {
  let info: Promise<{ pending: number; ackPending: number; redelivered: number } | undefined>
  let readAt = 0
  const read = () => {
    // One read per scrape, shared by the three gauges.
    if (Date.now() - readAt > 100) {
      readAt = Date.now()
      info = (async () => {
        const m = await jsm()
        const ci = await Promise.race([
          m.consumers.info(stream, stage),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('timeout')), CONSUMER_INFO_TIMEOUT_MS).unref(),
          ),
        ])
        return {
          pending: ci.num_pending,
          ackPending: ci.num_ack_pending,
          redelivered: ci.num_redelivered,
        }
      })().catch(() => undefined)
    }
    return info
  }
  const one = (name: string, help: string, pick: 'pending' | 'ackPending' | 'redelivered') =>
    gauge({
      name,
      help,
      labelNames: ['stage'] as const,
      async collect() {
        const got = await read()
        if (got) this.set({ stage }, got[pick])
      },
    })
  one(
    'portcullis_consumer_pending_messages',
    'Messages waiting for the stage on its bus.',
    'pending',
  )
  one(
    'portcullis_consumer_ack_pending_messages',
    'Messages delivered to the stage and not yet acknowledged.',
    'ackPending',
  )
  one(
    'portcullis_consumer_redelivered_messages',
    'Messages redelivered to the stage and not yet acknowledged.',
    'redelivered',
  )
}
