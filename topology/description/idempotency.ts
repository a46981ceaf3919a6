/**
 * The replay store of clients' `Idempotency-Key`s, as data: one JetStream stream `IDEM` on
 * the bus the backend connectors read their requests from (`creq`; `dreq` in
 * `single-validation`), one record per (host, caller, key) under `pc.idem.<host>.<digest>`,
 * kept one deep and for the window. Each `backend-<host>` may write and read its own host's
 * records and nothing else; the admin creates the stream (actions/idempotency-store.ts;
 * backend/README.md says what a record holds and how the connector uses it).
 */
import { nanos } from '@nats-io/nats-core'
import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream'
import type { BusName } from '../../core/index.js'
import type { Config, TopologyMode } from '../../config/index.js'
import { requestPathOf } from './request-paths.js'
import type { Topology } from './types.js'

export const IDEMPOTENCY_STREAM = 'IDEM'
/** The default window (`bus.idempotencyWindowMs`): a day, as the IETF draft's examples use. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 86_400_000
/**
 * The stream's size bound, within the storage headroom every JetStream server keeps beyond
 * its data and audit streams (server-config.ts). When it is full a new key is refused with 503
 * (IDEMPOTENCY_STORE_UNAVAILABLE), never executed without its record.
 */
export const IDEMPOTENCY_STORE_MAX_BYTES = 256 * 1024 * 1024

const PREFIX = 'pc.idem'

export const idempotencySubjects = {
  all: `${PREFIX}.>`,
  /** Every record of one host: what `backend-<host>` may touch. */
  host: (host: string) => `${PREFIX}.${host}.*`,
  record: (host: string, digest: string) => `${PREFIX}.${host}.${digest}`,
} as const

export interface IdempotencyStoreSpec {
  bus: BusName
  name: string
  subjects: string[]
}

/** The bus a mode's backend connectors read requests from: where their records live. */
export function idempotencyBusOf(mode: TopologyMode): BusName {
  return requestPathOf(mode).backendReads
}

export function idempotencyStoreOf(topology: Pick<Topology, 'mode'>): IdempotencyStoreSpec {
  return {
    bus: idempotencyBusOf(topology.mode),
    name: IDEMPOTENCY_STREAM,
    subjects: [idempotencySubjects.all],
  }
}

/**
 * What `backend-<host>` may publish for its records: write one (a JetStream publish with an
 * expected last sequence), and read one back by subject (direct get, the subject in the API
 * subject, so the grant names the host). No stream API, no other host's records.
 */
export function idempotencyRights(host: string): string[] {
  return [
    idempotencySubjects.host(host),
    `$JS.API.DIRECT.GET.${IDEMPOTENCY_STREAM}.${idempotencySubjects.host(host)}`,
  ]
}

/** Publish grants on `bus` of a mode: each backend connector its own host's records. */
export function idempotencyGrants(
  mode: TopologyMode,
  bus: BusName,
  hosts: string[],
  identityOf: (host: string) => string,
): Array<[identity: string, publish: string[]]> {
  if (bus !== idempotencyBusOf(mode)) return []
  return hosts.map((host) => [identityOf(host), idempotencyRights(host)])
}

/** The `bus` config keys the store's stream reads. */
export type IdempotencyLimits = Pick<
  Config['bus'],
  'duplicateWindowMs' | 'maxPayloadBytes' | 'streamMaxBytes' | 'streamMaxMessages'
> &
  Partial<Pick<Config['bus'], 'idempotencyWindowMs' | 'nodes'>>

export function idempotencyWindowOf(bus: Partial<Pick<Config['bus'], 'idempotencyWindowMs'>>) {
  return bus.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS
}

export function idempotencyStreamConfig(
  spec: IdempotencyStoreSpec,
  bus: IdempotencyLimits,
): Partial<StreamConfig> & { name: string } {
  const window = idempotencyWindowOf(bus)
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    // A key-value shape: the last record per subject, for the window, then gone.
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_msgs_per_subject: 1,
    max_age: nanos(window),
    duplicate_window: nanos(Math.min(bus.duplicateWindowMs, window)),
    max_bytes: Math.min(bus.streamMaxBytes, IDEMPOTENCY_STORE_MAX_BYTES),
    max_msgs: bus.streamMaxMessages,
    max_msg_size: bus.maxPayloadBytes,
    // Full: refuse a new record (the request is refused), never drop one inside its window.
    discard: DiscardPolicy.New,
    allow_direct: true,
    deny_delete: true,
    num_replicas: bus.nodes === 3 ? 3 : 1,
  }
}
