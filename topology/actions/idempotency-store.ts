import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream'
import type { BusName } from '../../core/index.js'
import {
  idempotencyStoreOf,
  idempotencyStreamConfig,
  type IdempotencyLimits,
} from '../description/idempotency.js'
import type { Topology } from '../description/types.js'

/** Creates or updates the replay store on `bus` when the topology keeps it there (admin). */
export async function ensureIdempotencyStore(
  jsm: JetStreamManager,
  topology: Pick<Topology, 'mode'>,
  bus: BusName,
  limits: IdempotencyLimits,
): Promise<void> {
  const spec = idempotencyStoreOf(topology)
  if (spec.bus !== bus) return
  const want = idempotencyStreamConfig(spec, limits)
  try {
    await jsm.streams.info(spec.name)
  } catch (e) {
    if (!(e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound)) throw e
    await jsm.streams.add(want)
    return
  }
  const { name: _name, retention: _r, storage: _s, ...update } = want
  await jsm.streams.update(spec.name, update)
}
