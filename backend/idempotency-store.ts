/**
 * The replay records in JetStream: the `IDEM` stream on the bus the connector reads
 * (topology/description/idempotency.ts), one message per record, the last one per subject kept for the
 * window. A record is written with an expected last subject sequence (0 for a new key), so
 * two attempts can never both claim one key, and read back by a direct get of its subject.
 * The record's fields ride as message headers and the answer's body as the payload: nothing
 * is encoded twice.
 */
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core'
import {
  jetstream,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamPublishOptions,
} from '@nats-io/jetstream'
import { isErrorCode, type HeaderList } from '../core/index.js'
import type { UpstreamConfig } from '../config/index.js'
import type { ComponentBuses } from '../bus/component.js'
import {
  IDEMPOTENCY_STREAM,
  idempotencyBusOf,
  idempotencySubjects,
} from '../topology/description/idempotency.js'
import {
  createIdempotencyGuard,
  type IdempotencyGuard,
  type IdempotencyRecord,
  type IdempotencyStore,
  type StoredRecord,
} from './idempotency.js'

/** How long one read or write of a record may take before the request is refused (503). */
export const STORE_TIMEOUT_MS = 2_000
/** JetStream's "wrong last sequence": another attempt wrote the record first. */
const WRONG_LAST_SEQUENCE = 10071

const F = {
  state: 'Idem-State',
  requestId: 'Idem-Request',
  fingerprint: 'Idem-Fingerprint',
  lease: 'Idem-Lease',
  status: 'Idem-Status',
  error: 'Idem-Error',
} as const
const HTTP_PREFIX = 'H-'

function encode(record: IdempotencyRecord): { h: MsgHdrs; body: Uint8Array } {
  const h = natsHeaders()
  h.set(F.state, record.state)
  h.set(F.requestId, record.requestId)
  h.set(F.fingerprint, record.fingerprint)
  if (record.state === 'pending') h.set(F.lease, String(record.leaseUntil))
  if (record.state !== 'done') return { h, body: new Uint8Array(0) }
  const { answer } = record
  h.set(F.status, String(answer.status))
  if (answer.error) h.set(F.error, answer.error)
  for (const [name, value] of answer.headers) h.append(HTTP_PREFIX + name, value)
  return { h, body: answer.body }
}

function decode(h: MsgHdrs, body: Uint8Array): IdempotencyRecord {
  const state = h.get(F.state)
  const requestId = h.get(F.requestId)
  const fingerprint = h.get(F.fingerprint)
  if (!requestId || !fingerprint) throw new Error('record without request id or fingerprint')
  if (state === 'released') return { state, requestId, fingerprint }
  if (state === 'pending') {
    const leaseUntil = Number(h.get(F.lease))
    if (!Number.isSafeInteger(leaseUntil)) throw new Error('pending record without a lease')
    return { state, requestId, fingerprint, leaseUntil }
  }
  if (state !== 'done') throw new Error(`record in state ${state.slice(0, 16)}`)
  const status = Number(h.get(F.status))
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new Error('done record without a status')
  }
  const headers: HeaderList = []
  for (const key of h.keys()) {
    if (!key.startsWith(HTTP_PREFIX)) continue
    for (const value of h.values(key)) headers.push([key.slice(HTTP_PREFIX.length), value])
  }
  const error = h.get(F.error)
  return {
    state,
    requestId,
    fingerprint,
    answer: { status, headers, body, ...(isErrorCode(error) ? { error } : {}) },
  }
}

/** The records of the `IDEM` stream, through one connection as `backend-<host>`. */
export function createJetStreamIdempotencyStore(
  nc: NatsConnection,
  timeoutMs = STORE_TIMEOUT_MS,
): IdempotencyStore {
  let js: JetStreamClient | undefined
  return {
    async read(host, digest): Promise<StoredRecord | undefined> {
      const subject = idempotencySubjects.record(host, digest)
      const msg = await nc.request(
        `$JS.API.DIRECT.GET.${IDEMPOTENCY_STREAM}.${subject}`,
        undefined,
        {
          timeout: timeoutMs,
        },
      )
      const h = msg.headers
      if (h?.code === 404) return undefined
      if (!h || (h.code !== 0 && h.code !== 200)) {
        throw new Error(
          `direct get answered ${h?.code ?? 'without headers'} ${h?.description ?? ''}`,
        )
      }
      const revision = Number(h.get('Nats-Sequence'))
      if (!Number.isSafeInteger(revision) || revision < 1)
        throw new Error('record without a sequence')
      return { record: decode(h, msg.data), revision }
    },
    async write(host, digest, record, revision) {
      js ??= jetstream(nc, { timeout: timeoutMs })
      const { h, body } = encode(record)
      const options: Partial<JetStreamPublishOptions> = {
        headers: h,
        expect: { streamName: IDEMPOTENCY_STREAM, lastSubjectSequence: revision },
        timeout: timeoutMs,
      }
      try {
        const ack = await js.publish(idempotencySubjects.record(host, digest), body, options)
        return ack.seq
      } catch (e) {
        if (e instanceof JetStreamApiError && e.code === WRONG_LAST_SEQUENCE) return false
        throw e
      }
    },
  }
}

/**
 * The connector's guard over its replay records, on the bus it reads (`creq`; `dreq` in
 * `single-validation`), for the start files: `handler({ ..., idempotency })`.
 */
export function createIdempotencyStore(
  buses: Pick<ComponentBuses, 'on' | 'topology'>,
  upstream: Pick<UpstreamConfig, 'honoursIdempotencyKey'>,
  warn?: (event: string, fields: Record<string, unknown>) => void,
): IdempotencyGuard {
  const store = createJetStreamIdempotencyStore(buses.on(idempotencyBusOf(buses.topology.mode)))
  return createIdempotencyGuard({
    store,
    upstreamHonoursKeys: upstream.honoursIdempotencyKey,
    ...(warn === undefined ? {} : { warn }),
  })
}
