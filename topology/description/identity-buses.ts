/** Which buses an identity uses, read from its grants. */
import { SetupError, subjects, type BusName } from '../../core/index.js'
import type { BusSpec, Topology } from './types.js'

/** The buses an identity connects to, in the order of the request path. */
export function busesOf(topology: Topology, identity: string): BusSpec[] {
  return topology.buses.filter((b) => b.grants.some((g) => g.identity === identity))
}

/** The one bus on which `identity` may publish its audit events (its grant says which). */
export function auditBusOf(topology: Pick<Topology, 'buses'>, identity: string): BusName {
  const subject = subjects.audit(identity)
  const spec = topology.buses.find((b) =>
    b.grants.some((g) => g.identity === identity && g.publish.includes(subject)),
  )
  if (!spec) {
    throw new SetupError(
      'TOPOLOGY_INVALID',
      `identity ${identity} may publish audit events on no bus`,
    )
  }
  return spec.name
}
