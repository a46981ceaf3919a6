/**
 * The three topology modes as data: which buses exist, which nats-servers carry them, and who
 * validates. `describeTopology` reads this table; it decides nothing per mode of its own.
 */
import type { BusName } from '../../core/index.js'
import type { TopologyMode } from '../../config/index.js'

/** Who checks the traffic: the two validator processes, or each backend connector itself. */
export type Validation = 'validators' | 'backend'

export interface ModeSpec {
  /** The buses, in the order of the request path. */
  buses: readonly BusName[]
  /**
   * Absent: every bus has a nats-server of its own, named after it, on its own ports. Present:
   * one server carries every bus, each an account of its own, on the ports of `portsOf`.
   */
  sharedServer?: { name: string; portsOf: BusName }
  validation: Validation
}

const FIVE_BUSES = ['link', 'dreq', 'creq', 'dresp', 'cresp'] as const

export const MODES = {
  isolated: { buses: FIVE_BUSES, validation: 'validators' },
  'single-nats': {
    buses: FIVE_BUSES,
    sharedServer: { name: 'nats', portsOf: 'link' },
    validation: 'validators',
  },
  // The backend connector validates: dirty requests in, clean responses out.
  'single-validation': { buses: ['link', 'dreq', 'cresp'], validation: 'backend' },
} as const satisfies Record<TopologyMode, ModeSpec>

export function modeSpecOf(mode: TopologyMode): ModeSpec {
  return MODES[mode]
}
