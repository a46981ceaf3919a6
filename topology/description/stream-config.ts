/**
 * The JetStream configuration of each stream and durable consumer of the description, as the
 * admin identity creates them (actions/provision.ts).
 */
import { nanos } from '@nats-io/nats-core'
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type StreamConfig,
} from '@nats-io/jetstream'
import type { Config } from '../../config/index.js'
import type { ConsumerSpec, StreamSpec } from './types.js'

/** Unacked messages one consumer may have out; bounds what a stuck stage holds. */
export const MAX_ACK_PENDING = 1024

export type BusLimits = Config['bus']

export function streamConfigOf(
  stream: StreamSpec,
  bus: BusLimits,
): Partial<StreamConfig> & { name: string } {
  return {
    name: stream.name,
    subjects: [...stream.subjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(bus.duplicateWindowMs),
    max_bytes: bus.streamMaxBytes,
    max_msgs: bus.streamMaxMessages,
    max_msg_size: bus.maxPayloadBytes,
    discard: DiscardPolicy.New,
    num_replicas: stream.replicas,
  }
}

export function consumerConfigOf(
  consumer: ConsumerSpec,
  bus: BusLimits,
  replicas: 1 | 3 = 1,
): Partial<ConsumerConfig> {
  return {
    durable_name: consumer.name,
    filter_subject: consumer.filter,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(bus.ackWaitMs),
    max_deliver: bus.maxDeliver,
    max_ack_pending: MAX_ACK_PENDING,
    deliver_policy: DeliverPolicy.All,
    // As many copies as its stream: a consumer's position survives what the stream survives.
    num_replicas: replicas,
  }
}
