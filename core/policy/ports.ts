/**
 * The port firewall. A port in the address selects an access level: public ports are
 * open, internal ports only in LAB, the control and trust-root ports never. Anything not
 * listed is refused. A refused port looks like an unknown route (404) to the client.
 */
import { GatewayError } from '../errors/index.js'

export const DEPLOYMENT_MODES = ['LAB', 'PROD'] as const
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number]

export const PORT_CLASSES = {
  public: [443, 80],
  internal: [444, 417, 428],
  /** 888 is the control plane, 666 the trust root: never reachable from outside. */
  never: [888, 666],
} as const

export const DEFAULT_PORT = 443

export type PortClass = keyof typeof PORT_CLASSES | 'unknown'

export function portClass(port: number): PortClass {
  for (const [name, ports] of Object.entries(PORT_CLASSES)) {
    if ((ports as readonly number[]).includes(port)) return name as PortClass
  }
  return 'unknown'
}

export function isPortOpen(port: number, mode: DeploymentMode): boolean {
  const cls = portClass(port)
  return cls === 'public' || (cls === 'internal' && mode === 'LAB')
}

/**
 * The port rule of the edge and the request validator alike: a port the deployment does not
 * open is 404 PORT_BLOCKED.
 */
export function checkPort(port: number, mode: DeploymentMode): void {
  if (!isPortOpen(port, mode)) {
    throw new GatewayError('PORT_BLOCKED', { reason: `port ${port} is closed in ${mode}` })
  }
}
