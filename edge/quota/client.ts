/** The worker's side of the quota objects: one object per key (tenant and route). */
import type { QuotaCounter } from '../ingress/rate-limit.js'
import type { QuotaOutcome } from './window.js'

/** The part of a quota object's stub the client uses. */
export interface QuotaObject {
  take(limit: number, periodSeconds: number, nowMs: number): Promise<QuotaOutcome>
}

export interface QuotaNamespace {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): QuotaObject
}

export function quotaCounter(namespace: QuotaNamespace): QuotaCounter {
  return {
    take: (key, limit, periodSeconds, nowMs) =>
      namespace.get(namespace.idFromName(key)).take(limit, periodSeconds, nowMs),
  }
}
