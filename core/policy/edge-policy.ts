/**
 * What the edge needs to decide on its own: deployment mode, limits and every host's
 * route table. Compiled on-prem from the one config file and handed to the worker as a
 * binding; the worker checks its shape once per isolate and refuses to serve without it.
 */
import { DEPLOYMENT_MODES, type DeploymentMode } from './ports.js'
import type { RouteTable } from './routes.js'
import { isSubjectToken } from '../subjects/index.js'

export interface EdgeLimits {
  /** Longest URL accepted, in bytes (414 beyond). */
  maxUrlBytes: number
  /** Default body limit when a route does not set one (413 beyond). */
  maxBodyBytes: number
  /** Time a request may take end to end (504 beyond). */
  deadlineMs: number
}

export interface EdgePolicy {
  version: 1
  deployment: DeploymentMode
  limits: EdgeLimits
  hosts: Record<string, RouteTable>
}

function fail(what: string): never {
  throw new TypeError(`edge policy: ${what}`)
}

function positiveInt(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0)
    fail(`${what} must be a positive integer`)
  return value as number
}

/** Checks a policy received as untyped configuration. Throws a TypeError naming the field. */
export function readEdgePolicy(value: unknown): EdgePolicy {
  const p = (typeof value === 'string' ? JSON.parse(value) : value) as Partial<EdgePolicy> | null
  if (!p || typeof p !== 'object') fail('missing')
  if (p.version !== 1) fail('version must be 1')
  if (!DEPLOYMENT_MODES.includes(p.deployment as DeploymentMode))
    fail('deployment must be LAB or PROD')
  const limits = p.limits ?? fail('limits missing')
  positiveInt(limits.maxUrlBytes, 'limits.maxUrlBytes')
  positiveInt(limits.maxBodyBytes, 'limits.maxBodyBytes')
  positiveInt(limits.deadlineMs, 'limits.deadlineMs')
  if (!p.hosts || typeof p.hosts !== 'object') fail('hosts missing')
  for (const [name, table] of Object.entries(p.hosts)) {
    if (!isSubjectToken(name)) fail(`host name ${name} is not allowed`)
    if (!table || table.host !== name || !Array.isArray(table.routes))
      fail(`hosts.${name} is malformed`)
  }
  return p as EdgePolicy
}
