/**
 * The worker's side of the link: picks a pool object for each request, round robin from a
 * random start per isolate, and turns its outcome back into a response or a GatewayError.
 */
import { GatewayError, type RequestEnvelope, type ResponseEnvelope } from '../../core/index.js'
import type { EdgeAuditEvent } from '../ingress/audit-trail.js'
import type { Link } from '../ingress/types.js'
import { POOL_NAME_PREFIX, RPC_GRACE_MS } from './constants.js'
import { unwrap, type LinkOutcome } from './outcome.js'

/** The part of a pool object's stub the client uses. */
export interface PoolObject {
  send(request: RequestEnvelope, timeoutMs: number): Promise<LinkOutcome>
  audit(event: EdgeAuditEvent): Promise<void>
}

export interface PoolNamespace {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): PoolObject
}

/** Audit events go to the pool objects round robin too: any of them holds a link. */
export function poolAudit(namespace: PoolNamespace, size: number) {
  let next = -1
  return (event: EdgeAuditEvent): Promise<void> => {
    if (next < 0) next = Math.floor(Math.random() * size)
    const name = POOL_NAME_PREFIX + next
    next = (next + 1) % size
    return namespace.get(namespace.idFromName(name)).audit(event)
  }
}

export function poolLink(namespace: PoolNamespace, size: number): Link {
  let next = -1
  return {
    async send(request: RequestEnvelope, timeoutMs: number): Promise<ResponseEnvelope> {
      if (next < 0) next = Math.floor(Math.random() * size)
      const name = POOL_NAME_PREFIX + next
      next = (next + 1) % size
      const object = namespace.get(namespace.idFromName(name))
      let timer: ReturnType<typeof setTimeout> | null = null
      const expiry = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new GatewayError('GATEWAY_TIMEOUT', { reason: `${name} did not answer` })),
          timeoutMs + RPC_GRACE_MS,
        )
      })
      try {
        const outcome = await Promise.race([object.send(request, timeoutMs), expiry]).catch(
          (e: unknown) => {
            if (e instanceof GatewayError) throw e
            const reason = e instanceof Error ? e.message : String(e)
            throw new GatewayError('BUS_UNAVAILABLE', { reason: `${name}: ${reason}` })
          },
        )
        return unwrap(outcome)
      } finally {
        if (timer !== null) clearTimeout(timer)
      }
    },
  }
}
