import { patternsOverlap, SetupError, subjects } from '../../core/index.js'
import type { BusSpec } from './types.js'

/**
 * Refuses a topology in which any grant, however wide its wildcards, could publish or
 * subscribe on a trust-root subject: that traffic is no component's to touch.
 */
export function assertTrustRootUngranted(buses: BusSpec[]): void {
  for (const bus of buses) {
    for (const grant of bus.grants) {
      for (const pattern of [...grant.publish, ...grant.subscribe]) {
        if (patternsOverlap(pattern, subjects.trustRootAll)) {
          throw new SetupError(
            'TOPOLOGY_INVALID',
            `grant ${pattern} of ${grant.identity} on ${bus.name} reaches the trust root`,
          )
        }
      }
    }
  }
}
